"""aisam/Montezuma-Reduced-v0 and its NoFrameskip twin: mapping, RAM info, vector env, SB3."""

from __future__ import annotations

import importlib
import inspect
import pickle
import sys
from collections.abc import Iterator
from typing import Any

import pytest

ale_py = pytest.importorskip("ale_py")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
from ale_py.vector_env import AtariVectorEnv  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402
from montezuma_play import raw_action_index  # noqa: E402

import aisam_envs  # noqa: E402, F401  (registers the ids)
from aisam_envs.errors import (  # noqa: E402
    InvalidActionError,
    InvalidConfigError,
    MissingExtraError,
)
from aisam_envs.montezuma import (  # noqa: E402
    _VECTOR_OPTIONS,
    ACTION_NAMES,
    DIFFICULTIES,
    FIRST_ROOM_EXIT,
    GAME,
    MODES,
    REDUCED_ACTIONS,
    RUNNING_JUMP_NAMES,
    RUNNING_JUMPS,
    MontezumaReducedEnv,
    MontezumaReducedVectorEnv,
    decode_ram,
    script_actions,
)

gym.register_envs(ale_py)

IDS = ("aisam/Montezuma-Reduced-v0", "aisam/Montezuma-ReducedNoFrameskip-v0")
VEC = "vector_entry_point"


def play(env: MontezumaReducedEnv, script: str) -> Iterator[tuple[float, dict[str, Any]]]:
    """Plays ``script`` (see ``script_actions``) through ``env.step`` alone; yields
    (reward, info) per step."""
    for action in script_actions(script):
        _, reward, terminated, truncated, info = env.step(action)
        assert not (terminated or truncated)
        yield float(reward), info


def deterministic_env(**kwargs: Any) -> MontezumaReducedEnv:
    env = MontezumaReducedEnv(repeat_action_probability=0.0, **kwargs)
    env.reset(seed=0)
    return env


# ------------------------------------------------------------------ registration, spaces
@pytest.mark.parametrize(("env_id", "frameskip", "sticky"), [(IDS[0], 4, 0.25), (IDS[1], 1, 0.0)])
def test_ids_registered_with_their_protocol(env_id: str, frameskip: int, sticky: float) -> None:
    spec = gym.spec(env_id)
    assert spec.kwargs == {
        "frameskip": frameskip,
        "repeat_action_probability": sticky,
        "max_num_frames_per_episode": 108_000,
    }
    env = gym.make(env_id)
    assert env.action_space == gym.spaces.Discrete(6)
    assert env.observation_space.shape == (210, 160, 3)
    assert env.unwrapped.get_action_meanings() == list(ACTION_NAMES)
    assert env.unwrapped.ale.getFloat("repeat_action_probability") == sticky
    _, info = env.reset(seed=0)
    env.step(0)
    _, _, _, _, info = env.step(0)
    assert info["episode_frame_number"] == 2 * frameskip
    env.close()


def test_mapping_is_explicit() -> None:
    assert [a.name for a in REDUCED_ACTIONS] == list(ACTION_NAMES)
    assert [a.name for a in RUNNING_JUMPS] == list(RUNNING_JUMP_NAMES)


@pytest.mark.parametrize("env_id", IDS)
def test_running_jumps_add_rightfire_and_leftfire_after_the_six(env_id: str) -> None:
    names = [*ACTION_NAMES, "RIGHTFIRE", "LEFTFIRE"]
    env = gym.make(env_id, running_jumps=True)
    assert env.action_space == gym.spaces.Discrete(8)
    assert env.unwrapped.get_action_meanings() == names
    assert gym.make(env_id).action_space == gym.spaces.Discrete(6)  # the default: the six
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    assert clone.action_space == gym.spaces.Discrete(8)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"\[0, 8\).*LEFTFIRE"):
        env.step(8)
    venv = gym.make_vec(
        env_id, num_envs=2, vectorization_mode=VEC, num_threads=1, running_jumps=True
    )
    assert venv.action_space == gym.spaces.MultiDiscrete([8, 8])
    assert venv.unwrapped.get_action_meanings() == names
    venv.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"\[0, 8\)"):
        venv.step(np.array([0, 8]))
    venv.close()


@pytest.mark.parametrize("running_jumps", [1, "True", None, 0.0])
def test_running_jumps_must_be_a_bool(running_jumps: Any) -> None:
    with pytest.raises(InvalidConfigError, match="running_jumps must be a bool"):
        MontezumaReducedEnv(running_jumps=running_jumps)
    with pytest.raises(InvalidConfigError, match="running_jumps must be a bool"):
        MontezumaReducedVectorEnv(2, running_jumps=running_jumps)


def test_reduced_actions_replay_the_raw_ale_env_exactly() -> None:
    ours = gym.make(IDS[0], repeat_action_probability=0.0)
    raw = gym.make("ALE/MontezumaRevenge-v5", repeat_action_probability=0.0)
    raw_index = [list(raw.unwrapped._action_set).index(a) for a in REDUCED_ACTIONS]
    rng = np.random.default_rng(0)
    # runs of one action, so ladders are climbed and ledges walked off (deaths, game overs)
    actions = np.repeat(rng.integers(0, 6, 60), rng.integers(1, 12, 60))  # 365 steps
    obs_a, _ = ours.reset(seed=3)
    obs_b, _ = raw.reset(seed=3)
    ends, xs = 0, set()
    for a in actions:
        obs_a, r_a, te_a, tr_a, info_a = ours.step(int(a))
        obs_b, r_b, te_b, tr_b, info_b = raw.step(raw_index[a])
        np.testing.assert_array_equal(obs_a, obs_b)
        assert (r_a, te_a, tr_a, info_a["lives"]) == (r_b, te_b, tr_b, info_b["lives"])
        xs.add(info_a["x"])
        if te_a or tr_a:
            ends += 1
            np.testing.assert_array_equal(ours.reset()[0], raw.reset()[0])
    assert set(actions.tolist()) == set(range(6))
    assert ends >= 1 and len(xs) > 5  # game overs and movement were compared


@pytest.mark.parametrize("running_jumps", [False, True])
def test_vector_env_replays_raw_atari_vector_env_exactly(running_jumps: bool) -> None:
    ours = gym.make_vec(
        IDS[0],
        num_envs=2,
        vectorization_mode=VEC,
        repeat_action_probability=0.0,
        running_jumps=running_jumps,
    )
    raw = AtariVectorEnv(GAME, 2, **ours.unwrapped.ale_kwargs)
    raw_index = raw_action_index(raw, running_jumps)
    obs_a, _ = ours.reset(seed=5)
    obs_b, _ = raw.reset(seed=5)
    np.testing.assert_array_equal(obs_a, obs_b)
    rng = np.random.default_rng(1)
    for a in np.repeat(rng.integers(0, len(raw_index), (30, 2)), 4, axis=0):
        step_a, step_b = ours.step(a), raw.step(raw_index[a])
        for x, y in zip(step_a[:4], step_b[:4], strict=True):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(step_a[4]["lives"], step_b[4]["lives"])
    ours.close()
    raw.close()


# ----------------------------------------------------------------- kwargs pass through
def test_observation_types_and_render_pass_through() -> None:
    env = deterministic_env(obs_type="ram", render_mode="rgb_array")
    obs, _, _, _, _ = env.step(3)
    assert obs.shape == (128,)
    np.testing.assert_array_equal(obs, env.ale.getRAM())
    assert env.render().shape == (210, 160, 3)
    gray = deterministic_env(obs_type="grayscale")
    assert gray.step(3)[0].shape == (210, 160)


def test_frame_cap_and_frameskip_pass_through() -> None:
    env = deterministic_env(frameskip=2, max_num_frames_per_episode=20)
    for i in range(10):
        _, _, terminated, truncated, info = env.step(0)
        assert info["episode_frame_number"] == 2 * (i + 1)
        assert not terminated and truncated == (i == 9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"full_action_space": True},
        {"continuous": True},
        {"obs_type": "pixels"},
        {"frameskip": 0},
        {"frameskip": (4, 2)},
        {"frameskip": (1, 2**40)},
        {"frameskip": (True, 3)},
        {"repeat_action_probability": 1.5},
        {"repeat_action_probability": True},
        {"max_num_frames_per_episode": -1},
        {"max_num_frames_per_episode": 2**40},  # past the int32 of ALE's setInt
        {"render_mode": "ansi"},
        {"mode": -1},
        {"mode": 2.5},
        {"mode": 99},  # ALE: "Invalid game mode requested"
        {"mode": True},
        {"difficulty": 1.5},
        {"difficulty": 1},
        {"sound_obs": "yes"},
        {"sound_obs": 1},
    ],
)
def test_bad_config_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigError, match=next(iter(kwargs))):
        MontezumaReducedEnv(**kwargs)


def test_modes_and_difficulties_are_the_roms() -> None:
    env = MontezumaReducedEnv()
    assert tuple(env.ale.getAvailableModes()) == MODES
    assert tuple(env.ale.getAvailableDifficulties()) == DIFFICULTIES


def test_numpy_scalars_are_accepted() -> None:
    env = MontezumaReducedEnv(
        mode=np.int64(0),
        difficulty=np.int32(0),
        frameskip=(np.int64(2), np.uint8(5)),
        repeat_action_probability=np.float32(0.1),
        max_num_frames_per_episode=np.int64(1000),
        sound_obs=np.bool_(False),
    )
    assert env.ale.getFloat("repeat_action_probability") == pytest.approx(0.1)
    env.reset(seed=0)
    assert 2 <= env.step(0)[4]["episode_frame_number"] < 5
    clone = pickle.loads(pickle.dumps(env))
    assert type(clone._frameskip[0]) is int and type(clone._frameskip[1]) is int


@pytest.mark.parametrize(
    "kwargs",
    [
        {"full_action_space": True},
        {"obs_type": "ram"},
        {"frameskip": (2, 4)},
        {"noop": 3},
        {"repeat_action_probability": True},
        {"max_num_frames_per_episode": 2**40},
        # each of these reached ale-py: a zero size, stack or too large a batch deadlocked
        # reset(), a negative size raised "cannot create std::vector larger than max_size()"
        {"stack_num": 0},
        {"img_height": 0},
        {"img_height": -5},
        {"img_width": 2**31},
        {"batch_size": 3},
        {"batch_size": -1},
        {"noop_max": -1},
        {"num_threads": -1},
        {"num_threads": 1.0},
        {"thread_affinity_offset": -2},
        {"stack_num": True},
        {"grayscale": 1},
        {"maxpool": "no"},
        {"autoreset_mode": "Disabled"},  # gymnasium has it, ale-py does not
        {"autoreset_mode": "next_step"},
    ],
)
def test_bad_vector_config_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigError):
        gym.make_vec(IDS[0], num_envs=2, vectorization_mode=VEC, **kwargs)


def test_every_vector_option_is_checked() -> None:
    """A new AtariVectorEnv keyword must get a check here before it can pass through."""
    own = {"self", "game", "num_envs", "frameskip", "repeat_action_probability",
           "max_num_frames_per_episode", "full_action_space", "continuous",
           "continuous_action_threshold"}  # fmt: skip
    ale_options = set(inspect.signature(AtariVectorEnv.__init__).parameters) - own
    assert ale_options == _VECTOR_OPTIONS


def test_vector_options_accept_numpy_scalars_and_batch_size_bounds() -> None:
    env = MontezumaReducedVectorEnv(
        np.int64(2),
        frameskip=np.int64(2),
        repeat_action_probability=np.float32(0.25),
        max_num_frames_per_episode=np.int64(1000),
        img_height=np.int64(42),
        stack_num=np.int32(2),
        grayscale=np.bool_(True),
        batch_size=np.int64(2),
        num_threads=1,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    assert {type(v) for v in env.ale_kwargs.values()} <= {int, float, bool, AutoresetMode}
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2, 2, 42, 84)
    env.close()
    env = MontezumaReducedVectorEnv(2, batch_size=0, num_threads=1)  # ale-py's 0: all envs
    assert env.batch_size == 2 and env.reset(seed=0)[0].shape[0] == 2
    env.close()


@pytest.mark.parametrize("num_envs", [0, True, 2.0, "2"])
def test_vector_num_envs_must_be_a_positive_int(num_envs: Any) -> None:
    with pytest.raises(InvalidConfigError, match="num_envs must be (an int|>= 1)"):
        MontezumaReducedVectorEnv(num_envs)


def test_full_action_space_error_says_what_to_do() -> None:
    with pytest.raises(InvalidConfigError, match="ALE/MontezumaRevenge-v5"):
        MontezumaReducedEnv(full_action_space=True)


def test_vector_protocol_defaults_and_preprocessing_pass_through() -> None:
    direct = MontezumaReducedVectorEnv(2)  # ale-py's own vector default is 0.0: not ours
    assert direct.ale_kwargs["repeat_action_probability"] == 0.25
    assert direct.ale_kwargs["frameskip"] == 4
    direct.close()
    env = gym.make_vec(
        IDS[1],
        num_envs=3,
        vectorization_mode=VEC,
        num_threads=1,
        img_height=64,
        stack_num=2,
        grayscale=False,
    )
    assert env.unwrapped.ale_kwargs["frameskip"] == 1
    assert env.unwrapped.ale_kwargs["repeat_action_probability"] == 0.0
    assert env.action_space == gym.spaces.MultiDiscrete([6, 6, 6])
    assert env.unwrapped.get_action_meanings() == list(ACTION_NAMES)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3, 2, 64, 84, 3)
    obs, reward, terminated, truncated, info = env.step(np.array([0, 1, 5]))
    assert obs.shape == (3, 2, 64, 84, 3) and reward.shape == (3,)
    np.testing.assert_array_equal(info["lives"], [6, 6, 6])
    env.close()


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("action", [6, -1, 2.0, True, np.float32(1), np.array([1]), "1", None])
def test_bad_action_raises_a_clear_error(action: Any) -> None:
    env = gym.make(IDS[0])
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=r"\[0, 6\)"):
        env.step(action)


def test_integer_like_actions_are_accepted() -> None:
    env = deterministic_env()
    for action in (np.int64(3), np.uint8(3), np.array(3)):
        assert env.step(action)[4]["x"] > 77


def test_bad_vector_actions_raise_a_clear_error() -> None:
    env = gym.make_vec(IDS[0], num_envs=2, vectorization_mode=VEC)
    env.reset(seed=0)
    for actions in ([0, 6], [-1, 0], np.array([0.0, 1.0]), [0, 1, 2], [[0, 1]], "01"):
        with pytest.raises(InvalidActionError, match=r"\[0, 6\)"):
            env.step(actions)
    env.step([5, 0])  # a list of ints is fine
    env.close()


def test_missing_ale_py_names_the_atari_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ale_py", None)
    monkeypatch.delitem(sys.modules, "aisam_envs.montezuma")
    with pytest.raises(MissingExtraError, match=r"aisam\[atari\]"):
        importlib.import_module("aisam_envs.montezuma")


# ---------------------------------------------------------------- RAM info, real play
def test_ram_info_at_the_start() -> None:
    env = MontezumaReducedEnv(repeat_action_probability=0.0)
    _, info = env.reset(seed=0)
    assert {k: info[k] for k in ("room", "x", "y", "level", "lives", "inventory")} == {
        "room": 1,
        "x": 77,
        "y": 235,
        "level": 0,
        "lives": 6,
        "inventory": (),
    }
    assert info["rooms_visited"] == 1


def test_decode_ram_reads_the_documented_bytes() -> None:
    ram = np.zeros(128, np.uint8)
    ram[[0x83 - 0x80, 0xAA - 0x80, 0xAB - 0x80, 0xB9 - 0x80]] = [5, 20, 148, 1]
    ram[0xBA - 0x80], ram[0xC1 - 0x80] = 0xF3, 0x80 | 0x02 | 0x01  # high bits ignored
    assert decode_ram(ram) == {
        "room": 5,
        "x": 20,
        "y": 148,
        "level": 1,
        "lives": 4,
        "inventory": ("torch", "key", "amulet"),
    }


def test_x_grows_rightwards_and_y_upwards() -> None:
    env = deterministic_env()
    xs = [info["x"] for _, info in play(env, "R2")]
    assert xs == sorted(xs) and xs[-1] > 77
    env = deterministic_env()
    ys = [info["y"] for _, info in play(env, "D6")]  # down the ladder below the start ledge
    assert ys == sorted(ys, reverse=True) and ys[-1] < 235


def test_a_fall_loses_a_life() -> None:
    env = deterministic_env()
    infos = [info for _, info in play(env, "R3 N10")]  # walk off the start ledge
    lives = [info["lives"] for info in infos]
    assert lives[0] == 6 and lives[-1] == 5
    assert all(info["room"] == 1 for info in infos)
    assert lives[-1] == env.ale.lives()


@pytest.mark.parametrize("env_id", IDS)
def test_scripted_exit_from_the_first_room(env_id: str) -> None:
    """With running_jumps=True, ``env.step`` alone leaves room 1 (key, door, room 2)."""
    env = gym.make(env_id, frameskip=4, repeat_action_probability=0.0, running_jumps=True).unwrapped
    env.reset(seed=0)
    rewards, infos = [], []
    for reward, info in play(env, FIRST_ROOM_EXIT):
        if reward:
            inventory_byte = int(env.ale.getRAM()[0xC1 - 0x80])
            rewards.append((reward, info["inventory"], inventory_byte))
        assert info["lives"] == env.ale.lives() == 6 and info["level"] == 0
        infos.append(info)
    # the key goes into the inventory, the door takes it, the room changes
    assert rewards == [(100.0, ("key",), 0x02), (300.0, (), 0x00)]
    assert [info["room"] for info in infos[-2:]] == [1, 2]
    assert all(info["room"] == 1 for info in infos[:-1])
    assert infos[-1]["rooms_visited"] == 2 and infos[-1]["x"] < 10
    _, info = env.reset()
    assert (info["room"], info["rooms_visited"], info["inventory"]) == (1, 1, ())


def test_fire_alone_jumps_straight_up() -> None:
    """Why running_jumps exists: FIRE has no run-up, RIGHTFIRE has."""
    env = deterministic_env(running_jumps=True)
    *_, (_, info) = play(env, "D9 R4")  # onto the conveyor below the ladder
    state = env.clone_state()
    xs_fire = [info["x"] for _, info in play(env, "F1 R3")]  # 16 frames, all in the air
    env.restore_state(state)
    list(play(env, ">1"))
    xs_run = [info["x"] for _, info in play(env, "R3")]
    assert max(xs_fire) - min(xs_fire) <= 1
    assert xs_run[-1] - info["x"] >= 8


# ------------------------------------------------------------------- determinism, pickle
def test_same_seed_same_episode_with_sticky_actions() -> None:
    def rollout() -> list[Any]:
        env = gym.make(IDS[0])
        out = [env.reset(seed=7)[1]]
        for a in np.random.default_rng(0).integers(0, 6, 200):
            obs, reward, terminated, truncated, info = env.step(int(a))
            out.append((obs.sum(), reward, terminated, truncated, info))
        return out

    assert rollout() == rollout()


def test_vector_env_same_seed_same_run_with_sticky_actions() -> None:
    def rollout() -> list[np.ndarray]:
        env = gym.make_vec(IDS[0], num_envs=2, vectorization_mode=VEC, num_threads=1)
        out = [env.reset(seed=7)[0]]
        for a in np.random.default_rng(0).integers(0, 6, (40, 2)):
            obs, reward, terminated, truncated, _ = env.step(a)
            out += [obs, reward, terminated, truncated]
        env.close()
        return out

    first, second = rollout(), rollout()
    assert first[0].shape == (2, 4, 84, 84)
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


def test_vector_env_seed_lists_are_deterministic() -> None:
    def rollout(seed: Any) -> np.ndarray:
        env = MontezumaReducedVectorEnv(2, num_threads=1)  # sticky actions on
        out = [env.reset(seed=seed)[0]]
        for a in np.repeat(np.random.default_rng(0).integers(0, 6, (30, 1)), 2, axis=1):
            out.append(env.step(a)[0])
        env.close()
        return np.stack(out)

    same = rollout([9, 9])
    np.testing.assert_array_equal(same[:, 0], same[:, 1])  # same seed, same actions
    np.testing.assert_array_equal(rollout([1, 2]), rollout(1))  # an int s seeds s, s + 1
    np.testing.assert_array_equal(rollout(np.array([4, 0])), rollout((np.int64(4), 0)))
    np.testing.assert_array_equal(rollout([0, 4])[:, 0], rollout([0, 7])[:, 0])


@pytest.mark.parametrize(
    "seed",
    [
        -1,
        np.array([-1, 5]),
        [1],
        [1, 2, 3],
        2**31 - 1,
        [0, 2**31],
        [True, 1],
        [1.0, 2],
        1.0,
        "12",
        np.array([[1, 2]]),
    ],
)
def test_vector_env_refuses_seeds_ale_py_would_misread(seed: Any) -> None:
    """ale-py reads a seed of -1 as "unseeded": reset(seed=-1) was not reproducible."""
    env = MontezumaReducedVectorEnv(2, num_threads=1)
    with pytest.raises(InvalidConfigError, match="seed must be"):
        env.reset(seed=seed)
    env.close()


def test_vector_env_partial_reset_takes_one_seed_per_masked_env() -> None:
    env = MontezumaReducedVectorEnv(2, num_threads=1)
    env.reset(seed=0)
    mask = np.array([False, True])
    with pytest.raises(InvalidConfigError, match="list of 1 ints"):
        env.reset(seed=[3, 4], options={"reset_mask": mask})
    obs, info = env.reset(seed=[3], options={"reset_mask": mask})
    assert obs.shape[0] == 2 and info["episode_frame_number"][1] < 100
    env.close()


def test_pickle_keeps_the_reduced_env() -> None:
    env = MontezumaReducedEnv(obs_type="ram", frameskip=2)
    clone = pickle.loads(pickle.dumps(env))
    assert type(clone) is MontezumaReducedEnv
    assert clone.action_space == gym.spaces.Discrete(6)
    assert clone.observation_space.shape == (128,)


# --------------------------------------------------------------------- checkers and SB3
@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_env_checker(env_id: str) -> None:
    from gymnasium.utils.env_checker import check_env

    check_env(gym.make(env_id).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", IDS)
def test_sb3_env_checker(env_id: str) -> None:
    env_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env_checker.check_env(gym.make(env_id), warn=False)


def test_gymnasium_atari_preprocessing_on_no_frameskip() -> None:
    pytest.importorskip("cv2", reason="AtariPreprocessing resizes with OpenCV")
    env = gym.wrappers.AtariPreprocessing(gym.make(IDS[1]), noop_max=5)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (84, 84)
    obs, _, _, _, info = env.step(3)
    assert obs.shape == (84, 84) and info["episode_frame_number"] % 4 == 0


def test_sb3_ppo_trains_through_the_atari_pipeline() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("cv2", reason="SB3's AtariWrapper resizes with OpenCV")
    sb3 = pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    venv = VecFrameStack(make_atari_env(IDS[1], n_envs=2, seed=0), n_stack=4)
    assert venv.action_space == gym.spaces.Discrete(6)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # CI runs 2 workers on 2 cores: no oversubscription
    try:
        model = sb3.PPO(
            "CnnPolicy", venv, n_steps=128, batch_size=256, n_epochs=1, seed=0, device="cpu"
        )
        before = [p.detach().clone() for p in model.policy.parameters()]
        model.learn(total_timesteps=3072)
    finally:
        torch.set_num_threads(threads)
    assert model.num_timesteps == 3072
    after = list(model.policy.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(after, before, strict=True))
    actions, _ = model.predict(venv.reset(), deterministic=True)
    assert actions.shape == (2,) and set(actions.tolist()) <= set(range(6))
    venv.close()
