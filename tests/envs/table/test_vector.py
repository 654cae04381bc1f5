"""The native vector env: exact equivalence with SyncVectorEnv, autoreset modes, backends."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_envs.errors import InvalidActionError, InvalidConfigError, ResetNeededError

ID = "aisam/TransitionTable-v0"


def _pair(n: int, mode: AutoresetMode, **kwargs: object) -> tuple[gym.vector.VectorEnv, ...]:
    sync = gym.make_vec(
        ID, n, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs
    )
    native = gym.make_vec(
        ID, n, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs
    )
    return sync, native


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


@pytest.mark.parametrize(
    ("actions", "match"),
    [
        (np.array([0, 1, 4]), r"\[0, 4\)"),
        (np.array([0, -1, 1]), r"\[0, 4\)"),
        (np.array([0.0, 1.0, 2.0]), "integers"),
        (np.array([0, 1]), r"shape \(3,\)"),
        (np.zeros((3, 1), dtype=np.int64), r"shape \(3,\)"),
    ],
)
def test_bad_actions_raise_clear_errors(actions: np.ndarray, match: str) -> None:
    env = gym.make_vec(ID, 3, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(actions)


def test_step_before_reset_and_bad_arguments() -> None:
    env = gym.make_vec(ID, 2, vectorization_mode="vector_entry_point")
    with pytest.raises(ResetNeededError, match="before reset"):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(InvalidConfigError, match="backend"):
        gym.make_vec(ID, 2, vectorization_mode="vector_entry_point", backend="jax")
    with pytest.raises(InvalidConfigError, match="autoreset_mode"):
        gym.make_vec(ID, 2, vectorization_mode="vector_entry_point", autoreset_mode="sometimes")
    with pytest.raises(InvalidConfigError, match="list of 2 ints"):
        env.reset(seed=[1, 2, 3])
