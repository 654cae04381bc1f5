"""One error root and one device resolver for the three packages."""

from __future__ import annotations

import pytest

import aisam_agents.errors as agent_errors
import aisam_envs.errors as env_errors
import aisam_wrappers.errors as wrapper_errors
from aisam_envs.errors import AisamError, InvalidConfigError, check_device_name, resolve_device


def test_every_error_class_of_every_package_has_the_one_root() -> None:
    for module in (env_errors, wrapper_errors, agent_errors):
        classes = [v for v in vars(module).values() if isinstance(v, type)]
        errors = [c for c in classes if issubclass(c, Exception) and c.__module__.startswith("ai")]
        assert errors and all(issubclass(c, AisamError) for c in errors), module.__name__


def test_bad_settings_are_one_class_in_all_three_packages() -> None:
    import aisam_envs
    import aisam_wrappers

    assert aisam_wrappers.InvalidConfigError is aisam_envs.InvalidConfigError is InvalidConfigError
    assert issubclass(wrapper_errors.UnsupportedSpaceError, InvalidConfigError)
    for module in (wrapper_errors, agent_errors):  # each defines only its own errors
        assert not hasattr(module, "check_int") and not hasattr(module, "resolve_device")


@pytest.mark.parametrize("name", ["auto", "cpu", "cuda", "cuda:1"])
def test_device_names_of_the_one_grammar_pass(name: str) -> None:
    assert check_device_name(name) == name


@pytest.mark.parametrize("name", ["gpu", "mps", "cuda:", "cuda:x", "", None, 0, "CPU"])
def test_other_device_names_are_refused_naming_the_choices(name: object) -> None:
    with pytest.raises(InvalidConfigError, match="'auto', 'cpu' or 'cuda"):
        check_device_name(name)


def test_resolve_device_resolves_auto_and_refuses_what_the_machine_lacks() -> None:
    torch = pytest.importorskip("torch")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    lacking = f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda"
    with pytest.raises(InvalidConfigError, match="CUDA"):
        resolve_device(lacking)
