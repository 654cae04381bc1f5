"""aisam/PokemonRed-v0 end to end, on the homebrew ROM of homebrew_rom.py."""

from __future__ import annotations

import sys
from itertools import pairwise
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

pytest.importorskip("pyboy")

import homebrew_rom as hb  # noqa: E402

import aisam_envs  # noqa: E402, F401  (registers the ids)
from aisam_envs.errors import (  # noqa: E402
    InvalidActionError,
    InvalidConfigError,
    MissingExtraError,
    ResetNeededError,
)
from aisam_envs.pokemon import ACTION_MEANINGS, REWARD_TERMS, PokemonRedEnv, ram  # noqa: E402

DOWN, LEFT, RIGHT, UP, A, B, START = range(7)
START_INFO = {
    "x": 3,
    "y": 6,
    "map_id": 0x26,
    "badges": 1,
    "party_size": 2,
    "levels": (5, 7),
    "hp": (20, 15),
    "max_hp": (20, 24),
    "hp_fraction": 35 / 44,
    "money": 3000,
    "event_flags": 0,
    "pokedex_seen": 3,
    "pokedex_caught": 1,
}


def run(env: PokemonRedEnv, actions: list[int]) -> list[tuple[np.ndarray, float, dict]]:
    return [(obs, reward, info) for obs, reward, _, _, info in map(env.step, actions)]


def test_ram_map_matches_the_homebrew_program() -> None:
    # The homebrew program keeps its own copy of the addresses: both must agree.
    assert (ram.X_COORD, ram.Y_COORD, ram.CUR_MAP, ram.BADGES) == (
        hb.X_COORD,
        hb.Y_COORD,
        hb.CUR_MAP,
        hb.BADGES,
    )
    assert (ram.PARTY_COUNT, ram.PARTY_MONS, ram.PARTY_MON_SIZE) == (
        hb.PARTY_COUNT,
        hb.MON1,
        hb.MON_SIZE,
    )
    assert (ram.MONEY, ram.EVENT_FLAGS_START, ram.POKEDEX_OWNED, ram.POKEDEX_SEEN) == (
        hb.MONEY,
        hb.EVENT_FLAGS,
        hb.POKEDEX_OWNED,
        hb.POKEDEX_SEEN,
    )


def test_gym_make_with_the_env_var(rom_path: Path, booted_state: bytes, monkeypatch) -> None:
    monkeypatch.setenv("AISAM_POKEMON_ROM", str(rom_path))
    env = gym.make("aisam/PokemonRed-v0", allow_unknown_rom=True, init_state=booted_state)
    try:
        obs, info = env.reset(seed=0)
        assert env.action_space == gym.spaces.Discrete(7)
        assert env.observation_space.shape == (72, 80, 1) and obs in env.observation_space
        assert env.unwrapped.get_action_meanings() == list(ACTION_MEANINGS)
        assert env.spec.max_episode_steps == 16384
        assert {k: info[k] for k in START_INFO} == START_INFO
    finally:
        env.close()


@pytest.mark.parametrize(
    ("action", "dx", "dy"),
    [(DOWN, 0, 1), (LEFT, -1, 0), (RIGHT, 1, 0), (UP, 0, -1)],
    ids=["down", "left", "right", "up"],
)
def test_each_direction_moves_the_player_one_tile(make_env, action, dx, dy) -> None:
    env = make_env()
    env.reset()
    (_, _, info), (_, _, info2) = run(env, [action, action])
    assert (info["x"], info["y"]) == (3 + dx, 6 + dy)
    assert (info2["x"], info2["y"]) == (3 + 2 * dx, 6 + 2 * dy)


@pytest.mark.parametrize(("freq", "press"), [(6, 2), (np.int64(6), np.uint8(2))])
def test_each_step_emulates_action_freq_frames(make_env, freq: int, press: int) -> None:
    env = make_env(action_freq=freq, press_frames=press)
    assert (type(env.action_freq), type(env.press_frames)) == (int, int)
    env.reset()
    before = env.pyboy.frame_count
    (_, _, info), *_ = run(env, [RIGHT, A, A])
    assert env.pyboy.frame_count - before == 18
    assert info["x"] == 4  # a 2-frame press still registers
    assert env.game_state.levels == (7, 7)


def test_exploration_reward_counts_new_tiles_only(make_env) -> None:
    env = make_env()
    env.reset()
    steps = run(env, [RIGHT, RIGHT, LEFT, LEFT, DOWN, UP])
    assert [r for _, r, _ in steps] == pytest.approx([0.1, 0.1, 0.0, 0.0, 0.1, 0.0])
    assert [i["tiles_seen"] for _, _, i in steps] == [2, 3, 3, 3, 4, 4]
    env.reset()
    ((_, reward, info),) = run(env, [RIGHT])  # a new episode forgets the tiles
    assert reward == pytest.approx(0.1) and info["tiles_seen"] == 2


def test_reward_terms_itemise_each_step(make_env) -> None:
    env = make_env()
    env.reset()
    memory = env.pyboy.memory
    (_, r_level, i_level), (_, r_event, i_event), (_, r_heal, i_heal) = run(env, [A, START, B])
    assert i_level["levels"] == (6, 7) and i_level["reward_terms"]["level"] == 1.0
    assert i_event["event_flags"] == 1 and i_event["reward_terms"]["event"] == 1.0
    assert i_heal["hp"] == (20, 24) and i_heal["reward_terms"]["heal"] == pytest.approx(4 * 9 / 44)
    memory[hb.BADGES] = 0b0000_0111  # as if two gym leaders were beaten
    ((_, r_badge, i_badge),) = run(env, [A])
    assert i_badge["badges"] == 3 and i_badge["reward_terms"]["badge"] == 20.0
    for addr in (hb.MON1_HP + 1, hb.MON1 + hb.MON_SIZE + hb.HP_OFFSET + 1):
        memory[addr] = 0  # the party faints in a battle
    (_, r_death, i_death), (_, r_revive, i_revive) = run(env, [START, B])
    assert i_death["hp_fraction"] == 0.0 and i_death["reward_terms"]["death"] == -1.0
    assert i_revive["hp_fraction"] == 1.0 and i_revive["reward_terms"]["heal"] == 0.0
    for reward, info in [
        (r_level, i_level),
        (r_event, i_event),
        (r_heal, i_heal),
        (r_badge, i_badge),
        (r_death, i_death),
        (r_revive, i_revive),
    ]:
        assert list(info["reward_terms"]) == list(REWARD_TERMS)
        assert reward == pytest.approx(sum(info["reward_terms"].values()))


def test_reward_config_sets_the_weights(make_env) -> None:
    env = make_env(reward_config={"explore": 2.0, "level": 0.0})
    env.reset()
    (_, r_move, _), (_, r_level, i_level) = run(env, [RIGHT, A])
    assert r_move == 2.0
    assert r_level == 0.0 and i_level["levels"] == (6, 7)
    with pytest.raises(
        InvalidConfigError, match=r"unknown term 'exploration' \(did you mean 'explore'\?\)"
    ):
        make_env(reward_config={"exploration": 1.0})


def test_save_and_load_state_round_trip(make_env) -> None:
    env = make_env()
    env.reset()
    *_, (obs_saved, _, _) = run(env, [RIGHT, DOWN])
    saved = env.save_state()
    first = run(env, [A, RIGHT, START, UP])
    env.load_state(saved)
    assert (env.game_state.x, env.game_state.y, env.game_state.levels) == (4, 7, (5, 7))
    again = run(env, [A, RIGHT, START, UP])
    for (obs1, _, info1), (obs2, _, info2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(obs1, obs2)
        assert {k: info1[k] for k in START_INFO} == {k: info2[k] for k in START_INFO}
    # the episode's memory survives load_state: those tiles and levels were already paid
    assert [r for _, r, _ in again] == [0.0, 0.0, 0.0, 0.0]
    obs, info = env.reset(options={"state": saved})  # or start a fresh episode there
    assert (info["x"], info["y"], info["tiles_seen"]) == (4, 7, 1)
    np.testing.assert_array_equal(obs, obs_saved)  # the state carries the screen
    ((_, reward, _),) = run(env, [A])
    assert reward == 1.0


def test_init_state_file_and_power_on_start(make_env, booted_state: bytes, tmp_path: Path) -> None:
    path = tmp_path / "after_intro.state"
    path.write_bytes(booted_state)
    _, info = make_env(init_state=path).reset()
    assert (info["x"], info["y"], info["map_id"]) == (3, 6, 0x26)
    _, info = make_env(init_state=None).reset()  # power-on: the program has not run yet
    assert (info["x"], info["party_size"]) == (0, 0)


def test_same_actions_give_the_same_episode(make_env) -> None:
    actions = [RIGHT, RIGHT, A, DOWN, START, B, LEFT, UP, UP, A] * 2
    env1, env2 = make_env(), make_env()
    env1.reset(seed=1)
    env2.reset(seed=2)
    episode1, episode2 = run(env1, actions), run(env2, actions)
    env1.reset()
    episode3 = run(env1, actions)
    for (o1, r1, i1), (o2, r2, i2), (o3, r3, i3) in zip(episode1, episode2, episode3, strict=True):
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(o1, o3)
        assert r1 == r2 == r3 and i1 == i2 == i3


def test_observation_types(make_env) -> None:
    screen, rgb, wram = (make_env(obs_type=t) for t in ("screen", "rgb", "ram"))
    obs, infos = {}, {}
    for kind, env in (("screen", screen), ("rgb", rgb), ("ram", wram)):
        first, info = env.reset()
        steps = run(env, [RIGHT, DOWN, A, START, B])
        obs[kind] = [first, *(o for o, _, _ in steps)]
        infos[kind] = [info, *(i for _, _, i in steps)]
        assert all(o in env.observation_space for o in obs[kind])
        for o1, o2 in pairwise(obs[kind]):  # each step's observation is a fresh array
            assert not np.shares_memory(o1, o2) and o2.flags.writeable
            assert not np.shares_memory(o2, env.pyboy.screen.ndarray)
    # "ram" decodes info from its own copy of work RAM, the others from PyBoy's memory
    assert infos["ram"] == infos["screen"] == infos["rgb"]
    assert screen.observation_space.shape == (72, 80, 1)
    assert rgb.observation_space.shape == (144, 160, 3)
    assert wram.observation_space.shape == (8192,)
    for s, c in zip(obs["screen"], obs["rgb"], strict=True):
        np.testing.assert_array_equal(s, c[::2, ::2, :1])  # grayscale: R = G = B
    assert not np.array_equal(obs["rgb"][0], obs["rgb"][1])  # the background scrolled
    x_index = hb.X_COORD - ram.WRAM_START
    assert [o[x_index] for o in obs["ram"]] == [3, 4, 4, 4, 4, 4]


def test_render_rgb_array(make_env) -> None:
    env = make_env(obs_type="ram", render_mode="rgb_array")
    env.reset()
    run(env, [RIGHT])
    frame = env.render()
    assert frame.shape == (144, 160, 3) and frame.dtype == np.uint8 and frame.std() > 0
    assert make_env().render() is None
    env = make_env(obs_type="rgb", render_mode="rgb_array")
    env.reset()
    ((obs, _, _),) = run(env, [RIGHT])
    np.testing.assert_array_equal(env.render(), obs)
    assert env.render().flags.c_contiguous  # for video writers; obs are strided views


@pytest.mark.parametrize("obs_type", ["screen", "rgb", "ram"])
def test_passes_the_gymnasium_env_checker(make_env, obs_type: str) -> None:
    check_env(make_env(obs_type=obs_type), skip_render_check=True)


def test_bad_input_gives_clear_errors(make_env, booted_state: bytes, tmp_path: Path) -> None:
    env = make_env()
    with pytest.raises(ResetNeededError):
        env.step(RIGHT)
    env.reset()
    for action in (7, -1, 1.5, "A", True):
        with pytest.raises(InvalidActionError):
            env.step(action)
    env.step(np.int64(RIGHT))  # numpy integers are fine
    with pytest.raises(InvalidConfigError, match="Not a PyBoy save state"):
        env.load_state(b"not a state" * 10)
    with pytest.raises(ResetNeededError):  # the episode ended with the failed load
        env.step(RIGHT)
    with pytest.raises(InvalidConfigError, match="obs_type"):
        make_env(obs_type="pixels")
    with pytest.raises(InvalidConfigError, match="press_frames"):
        make_env(action_freq=8, press_frames=8)
    with pytest.raises(InvalidConfigError, match="action_freq must be >= 2"):
        make_env(action_freq=1, press_frames=1)
    with pytest.raises(InvalidConfigError, match="render_mode must be None or one of"):
        make_env(render_mode="human")
    for bad in ({"action_freq": 24.0}, {"press_frames": True}, {"action_freq": np.float64(24)}):
        with pytest.raises(InvalidConfigError, match=f"{next(iter(bad))} must be an int"):
            make_env(**bad)
    with pytest.raises(InvalidConfigError, match="weight 'heal' must be a finite number"):
        make_env(reward_config={"heal": float("nan")})
    with pytest.raises(InvalidConfigError, match="Cannot read init_state"):
        make_env(init_state=tmp_path / "missing.state")
    with pytest.raises(InvalidConfigError, match="Not a PyBoy save state"):
        make_env(init_state=booted_state[:100])
    env.close()
    env.close()  # idempotent
    with pytest.raises(gym.error.ClosedEnvironmentError):
        env.reset()


def test_missing_pyboy_names_the_extra(rom_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyboy", None)
    with pytest.raises(MissingExtraError, match=r"aisam\[pokemon\]"):
        PokemonRedEnv(rom_path, allow_unknown_rom=True)


def test_ram_observations_skip_rendering(make_env) -> None:
    env = make_env(obs_type="ram")
    env.reset()
    before = env.pyboy.screen.ndarray.copy()
    run(env, [RIGHT, DOWN])  # the background scrolls, but nothing is drawn
    np.testing.assert_array_equal(env.pyboy.screen.ndarray, before)
