"""Stable-Baselines3-style agents: a GPU transformer world model and PonderNet policies.

Agents import from the package root, the way SB3's do::

    from aisam_agents import PonderPPO, WorldModel, WorldModelConfig

They are imported lazily, on first use: ``import aisam_agents`` alone imports neither
torch nor stable-baselines3, so ``aisam --help`` and ``aisam envs`` work on a core
install.
"""

from __future__ import annotations

import importlib
from typing import Any

#: aisam's agents: ``aisam train --algo`` name -> ``"module:Class"``. Each one is also
#: importable from the package root by its class name.
AGENTS: dict[str, str] = {
    "ponder_ppo": "aisam_agents.ponder_ppo:PonderPPO",
    "intrinsic_ppo": "aisam_agents.intrinsic_ppo:IntrinsicPPO",
    "learnmax": "aisam_agents.learnmax:LearnMax",
    "ponder_dreamer": "aisam_agents.ponder_dreamer:PonderDreamer",
}

#: package-root name -> ``"module:attribute"``: the agents plus the world model.
_EXPORTS: dict[str, str] = {
    **{target.rpartition(":")[2]: target for target in AGENTS.values()},
    "WorldModel": "aisam_agents.world_model:WorldModel",
    "WorldModelConfig": "aisam_agents.world_model:WorldModelConfig",
}

__all__ = ["AGENTS", *sorted(_EXPORTS)]
#: top-level modules of the ``agents`` extra that the exports import
_AGENTS_EXTRA = ("torch", "stable_baselines3", "sb3_contrib")


def __getattr__(name: str) -> Any:
    """Imports an agent (or the world model) the first time it is asked for."""
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    try:
        value = getattr(importlib.import_module(module), attribute)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _AGENTS_EXTRA:
            raise  # not a missing extra: a broken install, shown as it is
        from aisam_envs.errors import MissingExtraError

        raise MissingExtraError(exc.name or "", "agents") from exc
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
