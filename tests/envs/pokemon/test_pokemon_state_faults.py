"""A corrupt save state is refused with a clear error and the running emulator is unchanged:
the episode goes on exactly as if the load had never been tried (homebrew ROM)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyboy")

from aisam_envs.errors import InvalidConfigError  # noqa: E402

DOWN, RIGHT, A = 0, 2, 4  # indices in ACTION_MEANINGS


def _corruptions(state: bytes) -> dict[str, bytes]:
    return {
        "truncated by half": state[: len(state) // 2],
        "missing its last byte": state[:-1],
        "with trailing bytes": state + b"\x00\x01",
        "of another PyBoy version": bytes([state[0] ^ 0xFF]) + state[1:],
        "empty": b"",
    }


@pytest.mark.parametrize("how", list(_corruptions(b"0123")))
def test_a_corrupt_state_is_refused_and_changes_nothing(make_env, how: str) -> None:
    env, twin = make_env(), make_env()  # twin never sees the bad state
    for e in (env, twin):
        e.reset(seed=0)
        for action in (RIGHT, A, DOWN):
            e.step(action)
    saved = env.save_state()
    bad = _corruptions(saved)[how]
    with pytest.raises(InvalidConfigError, match="Not a whole PyBoy save state.*unchanged"):
        env.load_state(bad)
    assert env.save_state() == saved  # the emulator holds exactly what it held
    for action in (RIGHT, RIGHT, A, DOWN):  # and goes on exactly as the twin does
        got, want = env.step(action), twin.step(action)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1:4] == want[1:4]
        assert got[4].keys() == want[4].keys()
    assert env.save_state() == twin.save_state()


def test_a_corrupt_state_in_reset_options_keeps_the_episode(make_env) -> None:
    env = make_env()
    env.reset(seed=0)
    env.step(RIGHT)
    saved = env.save_state()
    with pytest.raises(InvalidConfigError, match="Not a whole PyBoy save state"):
        env.reset(options={"state": saved[:1000]})
    assert env.save_state() == saved
    env.step(RIGHT)  # the episode was not ended
