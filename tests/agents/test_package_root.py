"""Agents at the package root: lazy, one registry, no torch on a bare import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aisam_agents
from aisam_agents import algorithms
from aisam_envs.errors import MissingExtraError


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )


def test_importing_the_package_imports_neither_torch_nor_sb3() -> None:
    done = _python(
        "import sys, aisam_agents\n"
        "heavy = [m for m in ('torch', 'stable_baselines3', 'sb3_contrib') if m in sys.modules]\n"
        "print(heavy, sorted(aisam_agents.__all__))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[] ")
    assert "'PonderPPO'" in done.stdout and "'WorldModel'" in done.stdout


def test_agents_and_the_world_model_import_from_the_root() -> None:
    from aisam_agents import PonderPPO, WorldModel, WorldModelConfig
    from aisam_agents.ponder_ppo import PonderPPO as Direct
    from aisam_agents.world_model import WorldModel as DirectModel
    from aisam_agents.world_model import WorldModelConfig as DirectConfig

    assert (PonderPPO, WorldModel, WorldModelConfig) == (Direct, DirectModel, DirectConfig)
    assert {"PonderPPO", "WorldModel", "WorldModelConfig", "AGENTS"} <= set(dir(aisam_agents))
    assert set(aisam_agents.__all__) <= set(dir(aisam_agents))


def test_every_registered_agent_is_at_the_root_and_named_by_algo() -> None:
    for name, target in aisam_agents.AGENTS.items():
        cls = getattr(aisam_agents, target.rpartition(":")[2])
        assert algorithms.resolve_algorithm(name) is cls
        assert name in algorithms.available_algorithms()
        algorithms.check_agent_shape(cls, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = aisam_agents.Nope


def test_a_missing_agents_extra_names_the_extra() -> None:
    done = _python(
        "import sys\n"
        "sys.modules['torch'] = None  # as if torch were not installed\n"
        "import aisam_agents\n"
        "try:\n"
        "    aisam_agents.WorldModel\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(MissingExtraError.__name__)
    assert 'pip install "aisam[agents]"' in done.stdout
