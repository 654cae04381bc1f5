"""SequenceReplay: windows and episode marks, the ring, recent-biased sampling, seeds, files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_agents.replay import SequenceReplay
from aisam_envs.errors import InvalidConfigError

# an observation records where it came from: (env, episode, step within the episode)
OBS = spaces.Box(0, 10**6, (3,), dtype=np.int64)


def _fill(replay: SequenceReplay, steps: int, seed: int = 0) -> np.ndarray:
    """Adds ``steps`` steps of envs whose episodes end at random (p = 0.15 a step);
    returns the observations added, ``(steps, n_envs, 3)``."""
    rng = np.random.default_rng(seed)
    n = replay.n_envs
    episode, t = np.zeros(n, np.int64), np.zeros(n, np.int64)
    added = []
    for _ in range(steps):
        dones = rng.random(n) < 0.15
        added.append(np.stack([np.arange(n), episode, t], 1))
        replay.add(
            added[-1], rng.integers(0, 4, n), rng.normal(size=n), dones, dones & (t % 2 == 0)
        )
        episode, t = episode + dones, np.where(dones, 0, t + 1)
    return np.stack(added)


def _replay(capacity: int = 300, n_envs: int = 3, seed: int = 0) -> SequenceReplay:
    return SequenceReplay(capacity, OBS, spaces.Discrete(4), n_envs, device="cpu", seed=seed)


@pytest.mark.parametrize("steps", [60, 250])  # 250 > 100 slots per env: the ring has wrapped
def test_windows_never_cross_an_episode_start_unmarked(steps: int) -> None:
    replay = _replay()
    _fill(replay, steps)
    batch = replay.sample(512, 12)
    env, episode, t = batch.obs.unbind(-1)
    assert batch.obs.shape == (512, 12, 3) and batch.actions.shape == (512, 12)
    assert batch.is_first.dtype == torch.bool and batch.rewards.dtype == torch.float32
    assert (env == env[:, :1]).all()  # one env per window
    assert torch.equal(batch.is_first, t == 0)  # marked exactly where episodes start
    same = ~batch.is_first[:, 1:]
    assert (episode[:, 1:][same] == episode[:, :-1][same]).all()
    assert (t[:, 1:][same] == t[:, :-1][same] + 1).all()
    assert (episode[:, 1:] == episode[:, :-1] + batch.is_first[:, 1:]).all()
    assert torch.equal(batch.is_first[:, 1:], batch.dones[:, :-1])  # a done step ends it
    assert not (batch.terminated & ~batch.dones).any() and batch.terminated.any()
    assert not batch.is_first.all()


def test_the_ring_keeps_the_newest_steps() -> None:
    replay = _replay(capacity=13, n_envs=3)  # 4 slots per env
    added = _fill(replay, 10)
    assert replay.slots == 4 and replay.steps == 10 and len(replay) == 12
    batch = replay.sample(64, 4)  # exactly the last four steps of an env
    last = torch.as_tensor(added[-4:]).transpose(0, 1)  # (3 envs, 4 steps, 3)
    assert torch.equal(batch.obs, last[batch.obs[:, 0, 0]])
    assert set(batch.obs[:, 0, 0].tolist()) == {0, 1, 2}
    with pytest.raises(InvalidConfigError, match=r"length must be in \[1, 4\]"):
        replay.sample(1, 5)


def test_recent_biased_sampling_prefers_new_steps() -> None:
    replay = _replay(capacity=1000, n_envs=1)
    index = {tuple(o): i for i, o in enumerate(_fill(replay, 1000)[:, 0].tolist())}
    newest_start = 1000 - 8

    def ages(**kwargs: float) -> np.ndarray:
        starts = replay.sample(4000, 8, **kwargs).obs[:, 0]
        return np.array([newest_start - index[tuple(o)] for o in starts.tolist()])

    uniform, recent = ages(), ages(half_life=50.0)
    assert 450 < uniform.mean() < 530
    assert recent.mean() < 90  # a geometric age with half-life 50 has mean 71.6
    assert 0.45 < (recent < 50).mean() < 0.55  # half the starts within one half-life
    assert recent.min() == 0 and recent.max() <= newest_start


def test_same_seed_same_samples() -> None:
    runs = []
    for seed in (7, 7, 8):
        replay = _replay(seed=seed)
        _fill(replay, 40)
        runs.append([replay.sample(16, 5).obs, replay.sample(16, 5, half_life=10).obs])
    assert all(torch.equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not torch.equal(runs[0][0], runs[2][0])


def test_save_load_round_trip(tmp_path) -> None:
    replay = _replay(capacity=60)
    _fill(replay, 33)  # wrapped: 20 slots per env
    replay.sample(4, 3)
    replay.save(tmp_path / "replay.pt")
    loaded = SequenceReplay.load(tmp_path / "replay.pt", device="cpu")
    assert (loaded.steps, len(loaded), loaded.slots) == (replay.steps, len(replay), replay.slots)
    assert loaded.observation_space == OBS and loaded.action_space == spaces.Discrete(4)
    for kwargs in ({}, {"half_life": 5.0}):  # the random stream continues where it was
        a, b = replay.sample(32, 6, **kwargs), loaded.sample(32, 6, **kwargs)
        for name in ("obs", "actions", "rewards", "dones", "terminated", "is_first"):
            assert torch.equal(getattr(a, name), getattr(b, name)), name
    _fill(replay, 5, seed=1)
    _fill(loaded, 5, seed=1)
    assert torch.equal(replay.sample(32, 20).is_first, loaded.sample(32, 20).is_first)
    empty = _replay()
    empty.save(tmp_path / "empty.pt")
    assert len(SequenceReplay.load(tmp_path / "empty.pt")) == 0


def _edit(path, change) -> None:
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p: p.update(format="other"), "not an aisam replay"),
        (lambda p: p.update(version=True), "version"),
        (lambda p: p.pop("steps"), "damaged"),
        (lambda p: p.update(steps=-1), "damaged"),
        (lambda p: p.update(capacity=1), "consistent"),
        (lambda p: p["data"].pop("rewards"), "consistent"),
        (lambda p: p["data"].update(obs=p["data"]["obs"][:-1]), "consistent"),
        (lambda p: p["data"].update(dones=p["data"]["dones"].float()), "consistent"),
        (lambda p: p["data"].update(obs="not a tensor"), "consistent"),
        (lambda p: p.update(observation_space="{"), "damaged"),
    ],
)
def test_load_rejects_damaged_files(tmp_path, change, match: str) -> None:
    replay = _replay()
    _fill(replay, 5)
    path = tmp_path / "replay.pt"
    replay.save(path)
    _edit(path, change)
    with pytest.raises(CheckpointError, match=match):
        SequenceReplay.load(path, device="cpu")


def test_load_rejects_missing_and_corrupt_files(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        SequenceReplay.load(tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="not a readable"):
        SequenceReplay.load(tmp_path / "bad.pt")


def _good_step() -> dict:
    return {
        "obs": np.zeros((2, 3), np.int64),
        "actions": np.zeros(2, np.int64),
        "rewards": np.zeros(2),
        "dones": np.zeros(2, bool),
    }


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"obs": np.zeros((2, 2))}, r"obs must have shape \(2, 3\)"),
        ({"actions": np.zeros(3)}, r"actions must have shape \(2,\)"),
        ({"actions": np.array([0, 4])}, r"actions must be integers in \[0, 4\)"),
        ({"actions": np.array([0.5, 1])}, r"actions must be integers"),
        ({"rewards": np.array([np.nan, 0])}, "rewards must be finite"),
        ({"rewards": ["a", "b"]}, "rewards must be a numeric array"),
        ({"dones": np.array([2, 0])}, "dones must be bools"),
        ({"terminated": np.array([True, False])}, "terminated only if it is done"),
        ({"terminated": np.array([0.5, 0])}, "terminated must be bools"),
    ],
)
def test_bad_steps_give_clear_errors_and_store_nothing(edit: dict, match: str) -> None:
    replay = SequenceReplay(10, OBS, spaces.Discrete(4), n_envs=2, device="cpu")
    with pytest.raises(InvalidConfigError, match=match):
        replay.add(**(_good_step() | edit))
    assert replay.steps == 0


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: SequenceReplay(2, OBS, spaces.Discrete(4), n_envs=3), r"capacity must be in \[3"),
        (lambda: SequenceReplay(10, OBS, spaces.Discrete(4), n_envs=0), "n_envs must be >= 1"),
        (lambda: SequenceReplay(10, spaces.Dict({}), spaces.Discrete(4)), "Discrete or Box"),
        (lambda: SequenceReplay(10, OBS, spaces.Discrete(4), seed=-1), "seed"),
        (lambda: SequenceReplay(10, OBS, spaces.Discrete(4), device="mps"), "device must be"),
        (lambda: SequenceReplay.load("replay.pt", device="tpu"), "device must be"),
        (lambda: _replay().sample(1, 2), "need 2 steps per env; 0 are stored"),
        (lambda: _replay().sample(0, 1), "batch_size"),
        (lambda: _replay().sample(1, 1, half_life=0.0), "half_life must be > 0"),
        (lambda: _replay().sample(1, 1, half_life=float("nan")), "half_life must be finite"),
    ],
)
def test_bad_settings_give_clear_errors(build, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        build()


def test_terminated_defaults_to_dones_and_images_keep_their_dtype() -> None:
    frames = spaces.Box(0, 255, (4, 4), dtype=np.uint8)
    replay = SequenceReplay(8, frames, spaces.Discrete(2), n_envs=2, device="cpu")
    replay.add(np.full((2, 4, 4), 200, np.uint8), [0, 1], [1.0, 0.0], [True, False])
    batch = replay.sample(4, 1)
    assert batch.obs.dtype == torch.uint8 and int(batch.obs.max()) == 200
    assert torch.equal(batch.terminated, batch.dones) and batch.is_first.all()


@pytest.mark.gpu
def test_samples_stay_on_the_gpu() -> None:
    replay = SequenceReplay(64, OBS, spaces.Discrete(4), n_envs=3, device="cuda", seed=0)
    _fill(replay, 30)
    batch = replay.sample(8, 5, half_life=4.0)
    assert batch.obs.device.type == "cuda" and batch.is_first.device.type == "cuda"
    env, _, t = batch.obs.unbind(-1)
    assert torch.equal(batch.is_first, t == 0) and (env == env[:, :1]).all()
