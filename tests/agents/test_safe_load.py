"""Opening an SB3-format model file runs no code from it unless the caller trusts it."""

from __future__ import annotations

import base64
import json
import os
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
import cloudpickle  # noqa: E402
from stable_baselines3 import A2C, DQN, PPO  # noqa: E402

from aisam_agents.errors import CheckpointError  # noqa: E402
from aisam_agents.safe_load import safe_load  # noqa: E402


class _Marker:
    """Unpickling this creates ``path``: the stand-in for code a hostile file would run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (os.makedirs, (self.path,))


def _saved(tmp_path: Path, algo: type = PPO, **kwargs) -> tuple[Path, gym.Env, object]:
    env = gym.make("CartPole-v1")
    model = algo("MlpPolicy", env, seed=0, device="cpu", **kwargs).learn(64)
    path = tmp_path / "model.zip"
    model.save(path)
    return path, env, model


def _poison(path: Path, key: str, payload: object, **readable: str) -> None:
    """Replaces ``data[key]`` of the zip by a cloudpickled ``payload``."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(files["data"])
    entry = dict(data.get(key) or {}) if isinstance(data.get(key), dict) else {}
    entry.update(readable)
    entry[":serialized:"] = base64.b64encode(cloudpickle.dumps(payload)).decode()
    entry.setdefault(":type:", "<class 'dict'>")
    data[key] = entry
    files["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)


@pytest.mark.parametrize(
    ("algo", "kwargs"),
    [
        (PPO, {"n_steps": 32, "batch_size": 32}),
        (A2C, {}),  # pickles policy_kwargs (its RMSprop optimizer class)
        (DQN, {"learning_starts": 8, "train_freq": (2, "episode")}),  # and a TrainFreq
    ],
)
def test_safe_load_restores_the_same_model_without_unpickling(tmp_path, algo, kwargs) -> None:
    path, env, model = _saved(tmp_path, algo, **kwargs)
    loaded = safe_load(algo, path, env=env, device="cpu")
    obs = np.stack([env.observation_space.sample() for _ in range(16)])
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )
    assert type(loaded.policy) is type(model.policy)
    assert getattr(loaded, "train_freq", None) == getattr(model, "train_freq", None)
    loaded.learn(64, reset_num_timesteps=False)  # rebuilt run-time state: learning goes on
    assert loaded.num_timesteps >= 128


@pytest.mark.parametrize("key", ["policy_kwargs", "observation_space", "clip_range"])
def test_a_hostile_payload_is_refused_and_never_runs(tmp_path, key: str) -> None:
    path, env, _ = _saved(tmp_path, n_steps=32, batch_size=32)
    marker = tmp_path / "pwned"
    readable = {"activation_fn": "<function evil at 0x7f00>", "value_schedule": "<lambda>"}
    _poison(path, key, _Marker(str(marker)), **readable)
    if key == "observation_space":  # a space entry is always rebuilt from the env...
        loaded = safe_load(PPO, path, env=env, device="cpu")
        assert loaded.observation_space == env.observation_space
    else:
        with pytest.raises(CheckpointError, match="trusted=True"):
            safe_load(PPO, path, env=env, device="cpu")
    assert not marker.exists()  # ...and in no case is the payload unpickled


def test_a_policy_class_from_elsewhere_is_refused(tmp_path) -> None:
    path, env, _ = _saved(tmp_path, n_steps=32, batch_size=32)
    marker = tmp_path / "pwned"
    _poison(path, "policy_class", _Marker(str(marker)), __module__="evil", __doc__="x")
    with pytest.raises(CheckpointError, match="saved by another algorithm .*not by PPO"):
        safe_load(PPO, path, env=env, device="cpu")
    assert not marker.exists()


def test_trusted_true_is_sb3s_own_load_which_does_unpickle(tmp_path) -> None:
    path, env, _ = _saved(tmp_path, n_steps=32, batch_size=32)
    marker = tmp_path / "pwned"
    _poison(path, "_last_obs", _Marker(str(marker)))
    safe_load(PPO, path, env=env, device="cpu")
    assert not marker.exists()  # run-time state is dropped, never read
    safe_load(PPO, path, env=env, device="cpu", trusted=True)
    assert marker.exists()  # SB3's load ran it: what safe loading prevents


def test_missing_corrupt_and_mismatched_files_are_checkpoint_errors(tmp_path) -> None:
    path, env, _ = _saved(tmp_path, n_steps=32, batch_size=32)
    assert safe_load(PPO, path).observation_space == env.observation_space  # no env: unpickled
    _poison(path, "observation_space", _Marker(str(tmp_path / "pwned")))  # ...as spaces only
    with pytest.raises(CheckpointError, match="not a plain gymnasium space"):
        safe_load(PPO, path)
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(CheckpointError, match="saved for another env"):
        safe_load(PPO, path, env=gym.make("MountainCar-v0"))
    with pytest.raises(CheckpointError, match="no model file"):
        safe_load(PPO, tmp_path / "absent.zip", env=env)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable SB3 model file"):
        safe_load(PPO, broken, env=env)
