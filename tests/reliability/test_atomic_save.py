"""Saving to a full or unwritable location raises a clear error naming the path and leaves
the previous file intact: the world-model checkpoint, the sequence replay and the SB3 zips of
aisam's PPO-family agents and LearnMax all write through :func:`aisam_envs.atomic.atomic_write`.

Tests run as root here, where ``chmod`` does not stop writes, so a full disk is simulated by
a file whose writes fail with ``ENOSPC`` after a few bytes.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_agents.intrinsic_ppo import IntrinsicPPO
from aisam_agents.learnmax import LearnMax
from aisam_agents.ponder_ppo import PonderPPO
from aisam_agents.replay import SequenceReplay
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_envs import atomic
from aisam_envs.atomic import atomic_write
from aisam_envs.errors import AisamError, SaveError
from aisam_wrappers import make_bonus

OLD = b"the previous file"


class _FullDisk(io.RawIOBase):
    """A raw writable file that accepts ``room`` bytes, then fails like a full disk
    (buffered, as SB3 asks for a ``BufferedWriter``)."""

    def __init__(self, file: io.BufferedWriter, room: int) -> None:
        self._file, self._room = file, room

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._file.seekable()

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._file.write(data)

    def fileno(self) -> int:
        return self._file.fileno()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        super().close()  # flushes first
        self._file.close()


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files opened by atomic_write fill up after 100 bytes."""
    real = os.fdopen
    monkeypatch.setattr(
        atomic.os,
        "fdopen",
        lambda fd, mode: io.BufferedWriter(_FullDisk(real(fd, mode), 100), buffer_size=64),
    )


def _world_model() -> WorldModel:
    config = WorldModelConfig.preset("tiny", device="cpu")
    return WorldModel(spaces.Discrete(8), spaces.Discrete(3), config)


def _replay() -> SequenceReplay:
    replay = SequenceReplay(16, spaces.Discrete(8), spaces.Discrete(3), n_envs=2, device="cpu")
    for t in range(5):
        replay.add(np.full(2, t), np.zeros(2, int), np.zeros(2), np.zeros(2, bool))
    return replay


def _ponder() -> PonderPPO:
    env = gym.make("aisam/TransitionTable-v0", n_states=8, n_actions=3, obs_type="onehot")
    return PonderPPO("MlpPolicy", env, n_steps=16, batch_size=16, device="cpu", seed=0)


def _intrinsic() -> IntrinsicPPO:
    venv = make_vec_env(
        "aisam/TransitionTable-v0", n_envs=2, seed=0, env_kwargs={"obs_type": "onehot"}
    )
    venv = make_bonus("satiation", venv, split=True)
    return IntrinsicPPO("MlpPolicy", venv, n_steps=16, batch_size=32, device="cpu", seed=0)


def _learnmax() -> LearnMax:
    env = gym.make("aisam/TransitionTable-v0", n_states=8, n_actions=3)
    return LearnMax("auto", env, seed=0, device="cpu", learning_starts=16, batch_size=8)


SAVERS: dict[str, tuple[Callable[[], object], str]] = {
    "world_model": (_world_model, "model.pt"),
    "replay": (_replay, "replay.pt"),
    "ponder_ppo": (_ponder, "model.zip"),
    "intrinsic_ppo": (_intrinsic, "model.zip"),
    "learnmax": (_learnmax, "agent.pt"),
}


@pytest.mark.parametrize("name", SAVERS)
def test_a_full_disk_keeps_the_previous_file(name: str, tmp_path: Path, full_disk) -> None:
    make, filename = SAVERS[name]
    target = tmp_path / filename
    target.write_bytes(OLD)
    obj = make()
    with pytest.raises(SaveError, match=f"cannot write {target}: No space left"):
        obj.save(target)
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == [filename]  # no temporary left


@pytest.mark.parametrize("name", SAVERS)
def test_a_missing_folder_or_a_folder_in_the_way_is_a_clear_error(
    name: str, tmp_path: Path
) -> None:
    make, filename = SAVERS[name]
    obj = make()
    missing = tmp_path / "no-such-folder" / filename
    with pytest.raises(SaveError, match=f"cannot write {missing}"):
        obj.save(missing)
    in_the_way = tmp_path / filename
    (in_the_way / "inside").mkdir(parents=True)
    with pytest.raises(SaveError, match=f"cannot write {in_the_way}"):
        obj.save(in_the_way)
    assert sorted(p.name for p in tmp_path.iterdir()) == [filename]


@pytest.mark.parametrize("name", SAVERS)
def test_a_good_save_replaces_the_file_and_loads(name: str, tmp_path: Path) -> None:
    make, filename = SAVERS[name]
    target = tmp_path / filename
    target.write_bytes(OLD)
    obj = make()
    obj.save(target)
    assert target.read_bytes() != OLD
    assert type(obj).load(target).__class__ is type(obj)
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode
    assert sorted(p.name for p in tmp_path.iterdir()) == [filename]


def test_sb3_save_appends_zip_to_a_path_without_suffix(tmp_path: Path) -> None:
    model = _ponder()
    model.save(tmp_path / "model")
    assert (tmp_path / "model.zip").is_file()
    assert PonderPPO.load(tmp_path / "model").n_steps == 16


def test_an_error_inside_the_block_keeps_the_file_and_is_not_rewrapped(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(OLD)
    with pytest.raises(KeyError), atomic_write(target) as file:
        file.write(b"half")
        raise KeyError("boom")
    assert target.read_bytes() == OLD
    assert issubclass(SaveError, AisamError) and issubclass(SaveError, OSError)
