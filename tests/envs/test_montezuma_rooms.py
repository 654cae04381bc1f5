"""MontezumaRoomsVectorEnv: RAM info per env, AtariVectorEnv's frames, seeds, worker faults."""

from __future__ import annotations

import os
from typing import Any

import pytest

ale_py = pytest.importorskip("ale_py")
pytest.importorskip("cv2")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
from ale_py.vector_env import AtariVectorEnv  # noqa: E402
from montezuma_play import EXIT_ROOM_1, raw_action_index  # noqa: E402

import aisam_envs  # noqa: E402, F401  (registers the ids)
from aisam_envs import _montezuma_worker  # noqa: E402
from aisam_envs.errors import EnvWorkerError, InvalidActionError, InvalidConfigError  # noqa: E402
from aisam_envs.montezuma import (  # noqa: E402
    GAME,
    MontezumaReducedEnv,
    MontezumaReducedVectorEnv,
)
from aisam_envs.montezuma_rooms import INFO_KEYS, MontezumaRoomsVectorEnv  # noqa: E402

ID = "aisam/Montezuma-Reduced-v0"
VEC = "vector_entry_point"
# no sticky actions, exactly one reset frame (FIRE): the anchor is deterministic too
EXACT = {"repeat_action_probability": 0.0, "noop_max": 1}


def rooms_env(num_envs: int = 2, **kwargs: Any) -> MontezumaRoomsVectorEnv:
    return gym.make_vec(ID, num_envs=num_envs, vectorization_mode=VEC, ram_info=True, **kwargs)


def test_vector_entry_point_chooses_by_ram_info() -> None:
    threaded = gym.make_vec(ID, num_envs=2, vectorization_mode=VEC, num_threads=1)
    assert type(threaded) is MontezumaReducedVectorEnv
    threaded.close()
    env = rooms_env(2, num_workers=1)
    assert type(env) is MontezumaRoomsVectorEnv
    assert env.single_action_space == gym.spaces.Discrete(6)
    assert env.observation_space.shape == (2, 4, 84, 84)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    env.close()
    with pytest.raises(InvalidConfigError, match="ram_info must be a bool"):
        gym.make_vec(ID, num_envs=2, vectorization_mode=VEC, ram_info="yes")


def test_info_keys_shapes_and_start_values() -> None:
    env = rooms_env(3, num_workers=2, noop_max=0, use_fire_reset=False)
    obs, info = env.reset(seed=0)
    assert obs.shape == (3, 4, 84, 84) and obs.dtype == np.uint8
    assert set(info) == set(INFO_KEYS)
    for key in INFO_KEYS:
        assert info[key].shape == (3,) and info[key].dtype == np.int32, key
    start = {"room": 1, "x": 77, "y": 235, "level": 0, "lives": 6, "inventory": 0}
    for key, value in start.items():
        np.testing.assert_array_equal(info[key], value, err_msg=key)
    np.testing.assert_array_equal(info["rooms_visited"], 1)
    obs, reward, terminated, truncated, info = env.step(np.array([0, 3, 4]))
    assert set(info) == {*INFO_KEYS, "raw_reward"} and info["raw_reward"].dtype == np.float32
    assert reward.shape == terminated.shape == truncated.shape == (3,)
    assert reward.dtype == np.float32 and terminated.dtype == truncated.dtype == np.bool_
    assert info["x"][1] > 77 > info["x"][2]  # RIGHT and LEFT, per env
    env.close()


@pytest.mark.parametrize(
    ("running_jumps", "options"),
    [(False, {}), (True, {}), (False, {"maxpool": False, "img_height": 64, "stack_num": 2})],
)
def test_frames_rewards_and_ends_match_atari_vector_env(
    running_jumps: bool, options: dict[str, Any]
) -> None:
    """Same preprocessing as ale-py's C++ env: equal arrays, episode ends included."""
    ours = rooms_env(2, num_workers=2, running_jumps=running_jumps, **EXACT, **options)
    raw = AtariVectorEnv(GAME, 2, num_threads=1, **EXACT, **options)
    raw_index = raw_action_index(raw, running_jumps)
    obs_a, info_a = ours.reset(seed=0)
    obs_b, info_b = raw.reset(seed=0)
    np.testing.assert_array_equal(obs_a, obs_b)
    rng = np.random.default_rng(0)
    ends = 0
    for a in rng.integers(0, len(raw_index), (1200, 2)):
        step_a, step_b = ours.step(a), raw.step(raw_index[a])
        for x, y in zip(step_a[:4], step_b[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        for key in ("lives", "episode_frame_number", "frame_number"):
            np.testing.assert_array_equal(step_a[4][key], step_b[4][key])
        ends += int(np.sum(step_a[2] | step_a[3]))
    assert ends >= 1  # game overs and autoresets were compared
    ours.close()
    raw.close()


def test_frames_and_ram_info_match_the_single_env_preprocessed() -> None:
    """The single env through gymnasium's AtariPreprocessing and a zero-padded stack."""
    single = gym.wrappers.FrameStackObservation(
        gym.wrappers.AtariPreprocessing(
            MontezumaReducedEnv(frameskip=1, repeat_action_probability=0.0),
            noop_max=0,
            frame_skip=4,
        ),
        4,
        padding_type="zero",
    )
    ours = rooms_env(1, noop_max=0, use_fire_reset=False, repeat_action_probability=0.0)
    obs_a, _ = ours.reset(seed=0)
    obs_b, _ = single.reset(seed=0)
    np.testing.assert_array_equal(obs_a[0], obs_b)
    for a in np.random.default_rng(1).integers(0, 6, 200):
        obs_a, reward, terminated, _, info_a = ours.step(np.array([a]))
        obs_b, reward_b, terminated_b, _, info_b = single.step(int(a))
        np.testing.assert_array_equal(obs_a[0], obs_b)
        assert (info_a["raw_reward"][0], terminated[0]) == (reward_b, terminated_b)
        for key in ("room", "x", "y", "level", "lives", "rooms_visited"):
            assert info_a[key][0] == info_b[key], key
    ours.close()


def test_rooms_visited_and_inventory_through_the_first_room_exit() -> None:
    env = rooms_env(
        1, running_jumps=True, noop_max=0, use_fire_reset=False, repeat_action_probability=0.0
    )
    env.reset(seed=0)
    rooms, inventory, rewards = [], [], []
    for action in EXIT_ROOM_1:
        _, reward, _, _, info = env.step(np.array([action]))
        rooms.append(int(info["room"][0]))
        inventory.append(int(info["inventory"][0]))
        rewards.append(float(info["raw_reward"][0]))
    assert rooms[-2:] == [1, 2] and set(rooms[:-1]) == {1}
    assert info["rooms_visited"][0] == 2
    assert 0x02 in inventory and inventory[-1] == 0  # the key, then the door took it
    assert [r for r in rewards if r] == [100.0, 300.0]
    _, info = env.reset()
    assert (info["room"][0], info["rooms_visited"][0]) == (1, 1)
    env.close()


def test_reward_clipping_keeps_the_true_score_in_info() -> None:
    env = rooms_env(
        1, running_jumps=True, noop_max=0, use_fire_reset=False, repeat_action_probability=0.0
    )
    env.reset(seed=0)
    clipped = []
    for action in EXIT_ROOM_1:
        _, reward, _, _, info = env.step(np.array([action]))
        if info["raw_reward"][0]:
            clipped.append((float(reward[0]), float(info["raw_reward"][0])))
    assert clipped == [(1.0, 100.0), (1.0, 300.0)]
    env.close()


def test_same_seed_same_run_with_sticky_actions_and_noop_starts() -> None:
    def rollout(seed: Any) -> list[Any]:
        env = rooms_env(2, num_workers=2)
        obs, info = env.reset(seed=seed)
        out = [obs, info["episode_frame_number"]]
        for a in np.random.default_rng(0).integers(0, 6, (150, 2)):
            obs, reward, terminated, truncated, info = env.step(a)
            out += [obs, reward, terminated, info["x"], info["y"], info["lives"]]
        env.close()
        return out

    first = rollout(7)
    for x, y in zip(first, rollout(7), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(first[1], rollout([7, 8])[1])  # an int s seeds s, s + 1
    other = rollout(8)
    assert any(not np.array_equal(x, y) for x, y in zip(first, other, strict=True))


def test_step_async_then_step_wait_is_step() -> None:
    """The split step (the main process computes while the workers step) gives the same
    run as ``step``; a second send, a wait with nothing sent or a reset while a step is
    pending are refused, and the env then still steps."""

    def rollout(split: bool) -> list[Any]:
        env = rooms_env(2, num_workers=2)
        out = list(env.reset(seed=3))
        for a in np.random.default_rng(1).integers(0, 6, (40, 2)):
            if split:
                env.step_async(a)
                out += env.step_wait()
            else:
                out += env.step(a)
        env.close()
        return out

    for x, y in zip(rollout(False), rollout(True), strict=True):
        if isinstance(x, dict):
            assert x.keys() == y.keys()
            for key in x:
                np.testing.assert_array_equal(x[key], y[key])
        else:
            np.testing.assert_array_equal(x, y)
    env = rooms_env(2, num_workers=1)
    env.reset(seed=0)
    with pytest.raises(gym.error.NoAsyncCallError, match="without step_async"):
        env.step_wait()
    env.step_async(np.array([0, 0]))
    with pytest.raises(gym.error.AlreadyPendingCallError, match="step_wait"):
        env.step_async(np.array([0, 0]))
    with pytest.raises(gym.error.AlreadyPendingCallError, match="reset"):
        env.reset()
    with pytest.raises(gym.error.AlreadyPendingCallError):
        env.step(np.array([0, 0]))
    assert env.step_wait()[0].shape == (2, 4, 84, 84)
    with pytest.raises(InvalidActionError):
        env.step_async(np.array([0, 9]))
    assert env.step(np.array([1, 1]))[0].shape == (2, 4, 84, 84)  # nothing was sent
    env.close()


def test_a_step_before_any_reset_is_a_reset() -> None:
    env = rooms_env(2, num_workers=1, noop_max=0, use_fire_reset=False)
    obs, reward, terminated, truncated, info = env.step(np.array([3, 3]))
    np.testing.assert_array_equal(info["episode_frame_number"], 0)
    assert obs[:, -1].any() and not reward.any() and not (terminated | truncated).any()
    env.close()


def test_partial_reset_resets_only_the_masked_envs() -> None:
    env = rooms_env(2, num_workers=1, noop_max=0, use_fire_reset=False)
    env.reset(seed=0)
    for _ in range(3):
        env.step(np.array([3, 3]))
    obs, info = env.reset(seed=[5], options={"reset_mask": np.array([False, True])})
    assert info["episode_frame_number"].tolist() == [12, 0]
    assert info["x"][0] > 77 and info["x"][1] == 77
    with pytest.raises(InvalidConfigError, match="reset_mask"):
        env.reset(options={"reset_mask": [True, False]})
    env.close()


def test_same_step_autoreset_reports_the_final_step() -> None:
    env = rooms_env(
        1, autoreset_mode="SameStep", episodic_life=True, noop_max=0, use_fire_reset=False,
        repeat_action_probability=0.0,
    )  # fmt: skip
    env.reset(seed=0)
    for t in range(40):  # walk off the start ledge: a lost life ends the episode
        obs, _, terminated, _, info = env.step(np.array([3 if t < 3 else 0]))
        if terminated[0]:
            break
    assert terminated[0] and info["_final_obs"][0] and info["_final_info"][0]
    assert info["final_info"]["lives"][0] == 5 and info["lives"][0] == 6
    assert info["episode_frame_number"][0] == 0  # the returned observation is the new episode
    assert not np.array_equal(info["final_obs"][0], obs[0])
    env.close()


def test_a_dead_worker_is_a_clear_error_naming_its_envs() -> None:
    env = rooms_env(4, num_workers=2)
    env.reset(seed=0)
    procs = list(env.unwrapped._procs)
    procs[1].kill()
    procs[1].join(5)
    with pytest.raises(EnvWorkerError, match=r"worker process 1 .* of aisam/Montezuma-Reduced-v0 "
                       r"\(envs 2-3\) died \(signal SIGKILL\)"):  # fmt: skip
        env.step(np.zeros(4, np.int64))
    assert env.closed and not any(p.is_alive() for p in procs)  # the others were stopped
    with pytest.raises(EnvWorkerError, match="is closed"):
        env.step(np.zeros(4, np.int64))


_PLAY = _montezuma_worker.Game.step


def _exit_on_down(self: Any, action: int) -> Any:
    if action == 5:
        os._exit(3)  # an emulator that takes its process down
    return _PLAY(self, action)


def _raise_on_down(self: Any, action: int) -> Any:
    if action == 5:
        raise RuntimeError("emulator state corrupt")
    return _PLAY(self, action)


@pytest.mark.parametrize(
    ("step", "match"),
    [
        (_exit_on_down, r"worker process 1 .*\(env 1\) died \(exit code 3\)"),
        (_raise_on_down, r"(?s)worker process 1 .*\(env 1\) failed:\n.*RuntimeError: emulator st"),
    ],
)
def test_a_crash_inside_a_worker_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, step: Any, match: str
) -> None:
    """The forked workers inherit the patched step, which crashes on DOWN (env 1 here)."""
    env = MontezumaRoomsVectorEnv(2, num_workers=2, context="fork")
    env.reset(seed=0)
    monkeypatch.setattr(_montezuma_worker.Game, "step", step)
    crashing = MontezumaRoomsVectorEnv(2, num_workers=2, context="fork")
    monkeypatch.undo()
    crashing.reset(seed=0)
    crashing.step(np.array([0, 0]))  # no DOWN yet: fine
    with pytest.raises(EnvWorkerError, match=match):
        crashing.step(np.array([0, 5]))
    assert crashing.closed
    env.step(np.array([0, 5]))  # an env made before is unaffected
    env.close()


def test_an_interrupted_step_closes_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while waiting for the workers leaves answers unread: no later call may use them."""
    env = MontezumaRoomsVectorEnv(2, num_workers=2)
    env.reset(seed=0)
    procs = list(env._procs)

    def interrupted(self: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(MontezumaRoomsVectorEnv, "_gather", interrupted)
    with pytest.raises(KeyboardInterrupt):
        env.step(np.array([0, 0]))
    monkeypatch.undo()
    assert env.closed and not any(p.is_alive() for p in procs)
    with pytest.raises(EnvWorkerError, match="is closed"):
        env.step(np.array([0, 0]))


def test_close_stops_the_workers() -> None:
    env = MontezumaRoomsVectorEnv(2, num_workers=2)
    procs = list(env._procs)
    env.close()
    assert not any(p.is_alive() for p in procs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_threads": 2}, "unknown argument 'num_threads'"),
        ({"stak_num": 2}, r"'stak_num' \(did you mean 'stack_num'\?\)"),
        ({"autoreset_mode": "Disabled"}, "autoreset_mode must be one of"),
        ({"num_workers": -1}, "num_workers"),
        ({"context": "threads"}, "context must be"),
        ({"stack_num": 0}, "stack_num"),
        ({"img_height": 0}, "img_height"),
        ({"noop_max": -1}, "noop_max"),
        ({"maxpool": 1}, "maxpool must be a bool"),
        ({"running_jumps": "no"}, "running_jumps must be a bool"),
        ({"frameskip": (2, 4)}, "int frameskip"),
        ({"full_action_space": True}, "18"),
        ({"repeat_action_probability": 2.0}, "repeat_action_probability"),
    ],
)
def test_bad_config_is_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        MontezumaRoomsVectorEnv(2, **kwargs)


def test_bad_actions_and_seeds_are_refused() -> None:
    env = rooms_env(2, num_workers=1)
    with pytest.raises(InvalidConfigError, match="seed must be"):
        env.reset(seed=-1)
    env.reset(seed=0)
    for actions in ([0, 6], [0.0, 1.0], [0, 1, 2]):
        with pytest.raises(InvalidActionError, match=r"\[0, 6\)"):
            env.step(actions)
    env.step([5, 0])
    env.close()


def test_spawned_workers_give_the_same_run() -> None:
    """``context="spawn"`` (or ``"forkserver"``, for a parent with threads running)."""

    def rollout(context: str) -> list[np.ndarray]:
        env = MontezumaRoomsVectorEnv(2, context=context, num_workers=2, **EXACT)
        out = [env.reset(seed=3)[0]]
        out += [env.step(np.array([3, 4]))[0] for _ in range(5)]
        env.close()
        return out

    for x, y in zip(rollout("spawn"), rollout("fork"), strict=True):
        np.testing.assert_array_equal(x, y)
