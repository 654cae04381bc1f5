"""The native vector env: exact equivalence with SyncVectorEnv, autoreset modes, backends."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidActionError, InvalidConfigError, ResetNeededError

ID = "aisam/TransitionTable-v0"
BACKENDS = ["numpy", "torch"]


def _pair(n: int, mode: AutoresetMode, **kwargs: object) -> tuple[gym.vector.VectorEnv, ...]:
    sync = gym.make_vec(
        ID, n, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs
    )
    native = gym.make_vec(
        ID, n, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs
    )
    return sync, native


def _native(n: int, backend: str = "numpy", **kwargs: object) -> gym.vector.VectorEnv:
    """A native vector env (torch on the CPU; the test is skipped without torch)."""
    if backend == "torch":
        pytest.importorskip("torch")
    return gym.make_vec(
        ID, n, vectorization_mode="vector_entry_point", backend=backend, device="cpu", **kwargs
    )


def _assert_same(a: object, b: object) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("start_state", [0, None])
@pytest.mark.parametrize("kind", ["random", "stochastic", "lock", "clusters"])
def test_trajectories_equal_single_envs_seeded_s_s_plus_1(
    kind: str, start_state: int | None, mode: AutoresetMode
) -> None:
    kwargs = {"kind": kind, "n_states": 12, "start_state": start_state, "max_episode_steps": 9}
    sync, native = _pair(6, mode, **kwargs)
    (s_obs, s_info), (n_obs, n_info) = sync.reset(seed=11), native.reset(seed=11)
    _assert_same(s_obs, n_obs)
    _assert_same(s_info["state"], n_info["state"])
    actions = np.random.default_rng(0).integers(0, 4, size=(200, 6))
    ended = 0
    for act in actions:
        s_out, n_out = sync.step(act), native.step(act)
        for a, b in zip(s_out[:4], n_out[:4], strict=True):
            _assert_same(a, b)
        _assert_same(s_out[4]["state"], n_out[4]["state"])
        if mode == AutoresetMode.SAME_STEP and "final_obs" in s_out[4]:
            mask = s_out[4]["_final_obs"]
            _assert_same(mask, n_out[4]["_final_obs"])
            _assert_same(list(s_out[4]["final_obs"][mask]), n_out[4]["final_obs"][mask])
            ended += mask.sum()
        ended += (s_out[2] | s_out[3]).sum() if mode == AutoresetMode.NEXT_STEP else 0
    assert ended > 0  # the comparison covered autoresets


def test_unseeded_reset_continues_the_seeded_streams() -> None:
    sync, native = _pair(4, AutoresetMode.NEXT_STEP, kind="stochastic", start_state=None)
    sync.reset(seed=3), native.reset(seed=3)
    for _ in range(5):
        sync.step(np.zeros(4, dtype=np.int64)), native.step(np.zeros(4, dtype=np.int64))
    _assert_same(sync.reset()[0], native.reset()[0])


def test_disabled_autoreset_with_reset_mask() -> None:
    env = gym.make_vec(
        ID, 3, vectorization_mode="vector_entry_point", autoreset_mode=AutoresetMode.DISABLED,
        kind="random", n_states=3, n_actions=1, goal_states=[2], max_episode_steps=50,
    )  # fmt: skip
    env.reset(seed=0)
    done = np.zeros(3, dtype=bool)
    while not done.any():
        _, _, term, trunc, _ = env.step(np.zeros(3, dtype=np.int64))
        done = term | trunc
    with pytest.raises(ResetNeededError, match="reset_mask"):
        env.step(np.zeros(3, dtype=np.int64))
    obs, _ = env.reset(options={"reset_mask": done})
    assert (obs[done] == 0).all()
    env.step(np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("obs_type", ["discrete", "onehot", "embedding"])
def test_spaces_and_batched_observations(obs_type: str) -> None:
    env = gym.make_vec(ID, 5, vectorization_mode="vector_entry_point", obs_type=obs_type, obs_dim=4)
    single = gym.make(ID, obs_type=obs_type, obs_dim=4)
    assert env.single_observation_space == single.observation_space
    assert env.single_action_space == single.action_space
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and info["state"].shape == (5,)
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP


def test_returned_arrays_are_copies() -> None:
    env = gym.make_vec(ID, 4, vectorization_mode="vector_entry_point")
    obs, _ = env.reset(seed=0)
    obs[:] = 999  # callers may scribble on what they get
    assert (env.step(np.zeros(4, dtype=np.int64))[0] < 64).all()


@pytest.mark.parametrize("obs_type", ["discrete", "onehot", "embedding"])
@pytest.mark.parametrize("kind", ["random", "stochastic"])
def test_torch_backend_matches_numpy(kind: str, obs_type: str) -> None:
    torch = pytest.importorskip("torch")
    kwargs = {"kind": kind, "obs_type": obs_type, "start_state": None, "max_episode_steps": 7}
    np_env = gym.make_vec(ID, 8, vectorization_mode="vector_entry_point", **kwargs)
    t_env = gym.make_vec(
        ID, 8, vectorization_mode="vector_entry_point", backend="torch", device="cpu", **kwargs
    )
    _assert_same(np_env.reset(seed=2)[0], t_env.reset(seed=2)[0].numpy())
    for act in np.random.default_rng(0).integers(0, 4, size=(60, 8)):
        out_np, out_t = np_env.step(act), t_env.step(torch.as_tensor(act))
        for a, b in zip(out_np[:4], out_t[:4], strict=True):
            assert isinstance(b, torch.Tensor)
            _assert_same(a, b.numpy())


@pytest.mark.gpu
def test_torch_backend_on_cuda_keeps_everything_on_the_gpu() -> None:
    torch = pytest.importorskip("torch")
    env = gym.make_vec(
        ID, 1024, vectorization_mode="vector_entry_point", backend="torch", device="cuda"
    )
    obs, _ = env.reset(seed=0)
    out = env.step(torch.zeros(1024, dtype=torch.int64, device="cuda"))
    assert all(t.device.type == "cuda" for t in (obs, *out[:4]))
    cpu = gym.make_vec(ID, 1024, vectorization_mode="vector_entry_point")
    cpu.reset(seed=0)
    _assert_same(cpu.step(np.zeros(1024, dtype=np.int64))[0], out[0].cpu().numpy())


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_torch_reset_mask_takes_the_returned_flags(device: str) -> None:
    torch = pytest.importorskip("torch")
    env = gym.make_vec(
        ID, 3, vectorization_mode="vector_entry_point", autoreset_mode=AutoresetMode.DISABLED,
        kind="random", n_states=3, n_actions=1, goal_states=[2], max_episode_steps=50,
        backend="torch", device=device,
    )  # fmt: skip
    env.reset(seed=0)
    zeros = torch.zeros(3, dtype=torch.int64, device=device)
    done = torch.zeros(3, dtype=torch.bool, device=device)
    while not bool(done.any()):
        _, _, term, trunc, _ = env.step(zeros)
        done = term | trunc
    obs, _ = env.reset(options={"reset_mask": done})  # a tensor on the env's device
    assert obs.device.type == device and bool((obs[done] == 0).all())
    env.step(zeros)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("actions", "match"),
    [
        (np.array([0, 1, 4]), r"\[0, 4\)"),
        (np.array([0, -1, 1]), r"\[0, 4\)"),
        (np.array([0, 1, 4], dtype=np.uint64), r"\[0, 4\)"),
        (np.array([0.0, 1.0, 2.0]), "integers"),
        (np.zeros(3, dtype=bool), "integers"),
        (np.zeros(3, dtype=object), "integers"),
        (None, "integers"),
        ("abc", "integers"),
        (np.array([0, 1]), r"shape \(3,\)"),
        (np.zeros((3, 1), dtype=np.int64), r"shape \(3,\)"),
    ],
)
def test_bad_actions_raise_clear_errors(actions: object, match: str, backend: str) -> None:
    env = _native(3, backend)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(actions)


@pytest.mark.parametrize(
    ("backend", "tensor"), [("numpy", False), ("torch", False), ("torch", True)]
)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int32])
def test_every_integer_action_dtype_steps_like_int64(
    backend: str, tensor: bool, dtype: type
) -> None:
    env, twin = (_native(4, backend, kind="stochastic", max_episode_steps=5) for _ in "ab")
    wrap = pytest.importorskip("torch").as_tensor if tensor else np.asarray
    env.reset(seed=0), twin.reset(seed=0)
    for act in np.random.default_rng(0).integers(0, 4, size=(20, 4)):
        for a, b in zip(env.step(wrap(act.astype(dtype)))[:4], twin.step(act)[:4], strict=True):
            _assert_same(a, b)
    too_big = np.array([0, 1, 2, 2**63 + 1], dtype=np.uint64)  # negative as an int64
    with pytest.raises(InvalidActionError, match=r"\[0, 4\)"):
        env.step(wrap(too_big))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "mask",
    [
        np.ones((4, 1), dtype=bool),
        np.ones(1, dtype=bool),
        np.ones(5, dtype=bool),
        np.array([1, 0, 1, 0]),
        "x",
    ],
)
def test_bad_reset_mask_raises_and_changes_nothing(mask: object, backend: str) -> None:
    env, twin = (_native(4, backend, kind="stochastic", start_state=None) for _ in "ab")
    for e in (env, twin):
        e.reset(seed=0)
        e.step(np.zeros(4, dtype=np.int64))
    bad = [mask]
    if backend == "torch" and isinstance(mask, np.ndarray):  # the same mask as a tensor
        bad.append(pytest.importorskip("torch").as_tensor(mask))
    for m in bad:
        with pytest.raises(InvalidConfigError, match=r"reset_mask must be 4 bools, shape \(4,\)"):
            env.reset(options={"reset_mask": m})
    good = {"reset_mask": np.array([True, False, True, False])}
    _assert_same(env.reset(options=good)[0], twin.reset(options=good)[0])
    ones = np.ones(4, dtype=np.int64)
    for a, b in zip(env.step(ones)[:4], twin.step(ones)[:4], strict=True):
        _assert_same(a, b)


@pytest.mark.parametrize(
    ("reset_kwargs", "match"),
    [
        ({"seed": [1, 2, 3]}, "list of 2 ints"),
        ({"seed": 2.5}, "list of 2 ints"),
        ({"seed": "ab"}, "list of 2 ints"),
        ({"seed": True}, "seed must be an int"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": [1, 2.0]}, "seed must be an int"),
        ({"seed": [1, -2]}, "seed must be >= 0"),
        ({"options": "x"}, "options must be a dict"),
        ({"seed": 0, "options": {"reset_mask": np.ones(2, dtype=bool)}}, "give no seed"),
    ],
)
def test_bad_reset_arguments_raise_clear_errors(reset_kwargs: dict, match: str) -> None:
    env = gym.make_vec(ID, 2, vectorization_mode="vector_entry_point")
    with pytest.raises(InvalidConfigError, match=match):
        env.reset(**reset_kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_envs": 0}, r"num_envs must be in \[1, "),
        ({"num_envs": True}, "num_envs must be an int"),
        ({"num_envs": 2.5}, "num_envs must be an int"),
        ({"max_episode_steps": 0}, r"max_episode_steps must be in \[1, "),
        ({"max_episode_steps": 2.5}, "max_episode_steps must be an int"),
        ({"max_episode_steps": True}, "max_episode_steps must be an int"),
        ({"max_episode_steps": float("nan")}, "max_episode_steps must be an int"),
        ({"backend": "jax"}, "backend"),
        ({"autoreset_mode": "sometimes"}, "autoreset_mode"),
        ({"table_seed": -1}, "table_seed must be >= 0"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        gym.make_vec(ID, vectorization_mode="vector_entry_point", **({"num_envs": 2} | kwargs))


def test_numpy_integer_arguments_are_accepted() -> None:
    env = gym.make_vec(
        ID, np.int64(3), vectorization_mode="vector_entry_point",
        max_episode_steps=np.int64(2), table_seed=np.int64(1),
    )  # fmt: skip
    sync = gym.make_vec(ID, 3, vectorization_mode="sync", max_episode_steps=2, table_seed=1)
    assert type(env.num_envs) is int
    _assert_same(env.reset(seed=np.int64(4))[0], sync.reset(seed=4)[0])
    zeros = np.zeros(3, dtype=np.int64)
    for _ in range(2):
        out, expected = env.step(zeros), sync.step(zeros)
        for a, b in zip(out[:4], expected[:4], strict=True):
            _assert_same(a, b)
    assert expected[3].all()  # the time limit of 2 steps came from the numpy int


def test_step_before_reset_raises() -> None:
    env = gym.make_vec(ID, 2, vectorization_mode="vector_entry_point")
    with pytest.raises(ResetNeededError, match="before reset"):
        env.step(np.zeros(2, dtype=np.int64))
