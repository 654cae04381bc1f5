"""Property-based bad input for every env: any constructor keywords and any ``step`` input
either work (and then the env runs, its observations in its space) or raise an aisam error
that names the argument; never a dependency's exception, a hang, or a silent wrong result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from fuzz import FAST, GARBAGE, call_or_aisam_error, keywords
from hypothesis import given, settings
from hypothesis import strategies as st

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.parity import ParityEnv
from aisam_envs.table.env import TransitionTableEnv
from aisam_envs.table.vector import TransitionTableVectorEnv

TABLE = {
    "n_states": [1, 2, 8, 64],
    "n_actions": [1, 2, 4],
    "kind": ["random", "stochastic", "lock", "clusters"],
    "table_seed": [0, 7],
    "obs_type": ["discrete", "onehot", "embedding"],
    "obs_dim": [1, 4, 16],
    "goal_states": [None, [0], (1, 2)],
    "goal_reward": [1.0, -0.5],
    "start_state": [0, None, 1],
    "render_mode": [None, "ansi"],
}
VECTOR = {
    **{k: v for k, v in TABLE.items() if k != "render_mode"},
    "num_envs": [1, 3],
    "max_episode_steps": [None, 1, 5],
    "autoreset_mode": ["NextStep", "SameStep", "Disabled"],
    "backend": ["numpy"],
    "device": [None],
}
PARITY = {
    "n_bits": [1, 4, 8],
    "min_active": [0, 1, 2],
    "max_active": [None, 2, 8],
    "episode_length": [1, 3],
    "render_mode": [None, "ansi"],
}
ALIASES = {"kind": "kind", "autoreset_mode": "autoreset_mode"}


def run_a_little(env: gym.Env | gym.vector.VectorEnv) -> None:
    """Reset and three sampled steps: every observation in the space, rewards finite."""
    space = env.observation_space
    obs, _ = env.reset(seed=0)
    assert space.contains(obs), f"reset's observation is not in {space}"
    env.action_space.seed(0)
    for _ in range(3):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert space.contains(obs), f"step's observation is not in {space}"
        assert np.all(np.isfinite(reward))
        if isinstance(env, gym.Env) and (terminated or truncated):
            env.reset()
    env.close()


def check_constructor(make: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    env = call_or_aisam_error(lambda: make(**kwargs), kwargs, ALIASES)
    if env is not None:
        run_a_little(env)
    return env


@FAST
@given(keywords(TABLE))
def test_transition_table_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(TransitionTableEnv, kwargs)


@FAST
@given(keywords(VECTOR))
def test_transition_table_vector_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(TransitionTableVectorEnv, kwargs)


@FAST
@given(keywords(PARITY))
def test_parity_env_keywords(kwargs: dict[str, Any]) -> None:
    check_constructor(ParityEnv, kwargs)


def check_step(env: Any, action: Any) -> None:
    """``step(action)`` works (observation in the space) or raises an aisam error about the
    action; either way the env goes on."""
    env.reset(seed=0)
    result = call_or_aisam_error(lambda: env.step(action), ["action"], {"action": "actions"})
    if result is not None:
        assert env.observation_space.contains(result[0])
        if isinstance(env, gym.Env) and (result[2] or result[3]):
            env.reset()
    env.reset(seed=0)
    env.step(env.action_space.sample())  # a bad action broke nothing


ACTIONS = st.one_of(GARBAGE, st.integers(-10, 10), st.lists(st.integers(-2, 5), max_size=4))


@FAST
@given(action=ACTIONS)
def test_single_env_step_inputs(action: Any) -> None:
    for env in _single_envs():
        check_step(env, action)


@FAST
@given(action=st.one_of(ACTIONS, st.lists(st.floats(width=32), min_size=3, max_size=3)))
def test_vector_env_step_inputs(action: Any) -> None:
    env = _vector_env()
    check_step(env, action if not isinstance(action, list) else np.asarray(action))


_CACHE: dict[str, Any] = {}


def _single_envs() -> list[gym.Env]:
    if "single" not in _CACHE:
        envs = [TransitionTableEnv(n_states=8, n_actions=3), ParityEnv(n_bits=4)]
        for env in envs:
            env.reset(seed=0)
        _CACHE["single"] = envs
    return _CACHE["single"]


def _vector_env() -> gym.vector.VectorEnv:
    if "vector" not in _CACHE:
        env = TransitionTableVectorEnv(num_envs=3, n_states=8, n_actions=3)
        env.reset(seed=0)
        _CACHE["vector"] = env
    return _CACHE["vector"]


@pytest.fixture(scope="module", autouse=True)
def _close_cached() -> Any:
    yield
    for env in [*_CACHE.get("single", []), _CACHE.get("vector")]:
        if env is not None:
            env.close()


HEAVY = settings(FAST, max_examples=25)  # each working example starts an emulator

MONTEZUMA = {
    "obs_type": ["rgb", "grayscale", "ram"],
    "frameskip": [1, 4, (2, 5)],
    "repeat_action_probability": [0.0, 0.25],
    "mode": [None, 0],
    "difficulty": [None, 0],
    "max_num_frames_per_episode": [None, 1000],
    "running_jumps": [False, True],
    "full_action_space": [False],
    "continuous": [False],
    "render_mode": [None, "rgb_array"],
}
MONTEZUMA_ROOMS = {
    "num_envs": [1, 2],
    "num_workers": [1],
    "frameskip": [1, 4],
    "stack_num": [1, 4],
    "img_height": [42, 84],
    "noop_max": [0, 30],
    "reward_clipping": [True, False],
    "running_jumps": [False, True],
}
POKEMON = {
    "obs_type": ["screen", "rgb", "ram"],
    "action_freq": [24, 8],
    "press_frames": [8, 2],
    "reward_config": [None, {"heal": 2.0}, {"explore": 0.0}],
    "render_mode": [None, "rgb_array"],
}
TEXTWORLD = {
    "action_mode": ["text", "index"],
    "max_actions": [1, 64],
    "invalid_action": ["noop", "error"],
    "invalid_action_penalty": [0.0, -1.0],
    "obs_type": ["text", "tokens"],
    "max_text_length": [64, 4096],
    "max_tokens": [16, 256],
    "vocab_size": [64, 4096],
    "render_mode": [None, "ansi"],
}
GAME_SPEC = {
    "world_size": [1, 5, 100],
    "nb_objects": [0, 10],
    "quest_length": [1, 5],
    "game_seed": [0, 2**32 - 1],
    "challenge": [None, "tw-simple", "tw-cooking", "tw-coin_collector"],
    "settings": [{}, {"rewards": "dense"}, {"recipe": 2, "take": 1}, {"level": 3}],
}


@HEAVY
@given(keywords(MONTEZUMA))
def test_montezuma_keywords(kwargs: dict[str, Any]) -> None:
    pytest.importorskip("ale_py")
    from aisam_envs.montezuma import MontezumaReducedEnv

    check_constructor(MontezumaReducedEnv, kwargs)


@HEAVY
@given(keywords(MONTEZUMA_ROOMS))
def test_montezuma_rooms_vector_keywords(kwargs: dict[str, Any]) -> None:
    pytest.importorskip("ale_py")
    from aisam_envs.montezuma_rooms import MontezumaRoomsVectorEnv

    check_constructor(MontezumaRoomsVectorEnv, kwargs)


@pytest.fixture(scope="module")
def homebrew_rom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pyboy")
    sys.path.insert(0, str(Path(__file__).parent.parent / "envs"))
    from homebrew_rom import build_rom

    path = tmp_path_factory.mktemp("rom") / "homebrew.gb"
    path.write_bytes(build_rom())
    return path


@HEAVY
@given(kwargs=keywords(POKEMON))
def test_pokemon_keywords(homebrew_rom: Path, kwargs: dict[str, Any]) -> None:
    from aisam_envs.pokemon import PokemonRedEnv

    check_constructor(
        lambda **kw: PokemonRedEnv(homebrew_rom, allow_unknown_rom=True, **kw), kwargs
    )


@pytest.fixture(scope="module")
def small_game() -> Path:
    pytest.importorskip("textworld")
    from aisam_envs.textworld import GameSpec, game_path

    return game_path(GameSpec(world_size=1, nb_objects=0, quest_length=1, game_seed=3))


@FAST
@given(kwargs=keywords(TEXTWORLD))
def test_textworld_keywords(small_game: Path, kwargs: dict[str, Any]) -> None:
    from aisam_envs.textworld.env import TextWorldEnv

    check_constructor(lambda **kw: TextWorldEnv(game_file=small_game, **kw), kwargs)


@FAST
@given(keywords(GAME_SPEC))
def test_textworld_game_spec_keywords(kwargs: dict[str, Any]) -> None:
    """What the generation keywords become (checked before any game is generated)."""
    from aisam_envs.textworld import GameSpec

    aliases = {"settings": "challenge_settings", "challenge": "challenge"}
    spec = call_or_aisam_error(lambda: GameSpec(**kwargs), kwargs, aliases)
    if spec is not None:
        assert spec.key("1.0") == GameSpec(**kwargs).key("1.0")  # a stable cache name
