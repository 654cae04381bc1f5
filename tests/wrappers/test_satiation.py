"""Satiation: curves, recovery, episodic/lifelong memory, per-action keys, key choices."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from bonus_helpers import intrinsic_trace
from gymnasium import spaces
from tolerance import F32

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_wrappers import (
    InvalidConfigError,
    OutOfSpaceError,
    Satiation,
    SatiationBonus,
    SatiationConfig,
    Transitions,
    UnsupportedSpaceError,
)

RAW = {"normalize": False}  # raw curve values in info["intrinsic_reward"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"curve": "exponential", "half_life": 2.0}, [1.0, 2**-0.5, 0.5, 2**-1.5]),
        ({"curve": "hyperbolic"}, [1.0, 2**-0.5, 3**-0.5, 0.5]),
        ({"curve": "hyperbolic", "power": 1.0}, [1.0, 1 / 2, 1 / 3, 1 / 4]),
    ],
)
def test_curves_have_their_closed_forms(settings: dict, expected: list[float]) -> None:
    np.testing.assert_allclose(SatiationConfig(**settings).bonus(np.arange(4.0)), expected, **F32)


def test_sigmoid_stays_high_then_drops_around_its_midpoint() -> None:
    cfg = SatiationConfig(curve="sigmoid", midpoint=10.0, width=1.0)
    b = cfg.bonus(np.arange(30.0))
    assert b[0] == pytest.approx(1.0) and b[5] > 0.99 and b[-1] < 1e-8
    assert np.all(np.diff(b) < 0)
    assert b[10] == pytest.approx(0.5 * (1 + np.exp(-10.0)), rel=1e-5)


@pytest.mark.parametrize(
    ("midpoint", "width", "expected"),
    [
        (-1e6, 2.0, np.exp(-np.arange(30.0) / 2)),  # past the midpoint: a plain exponential
        (-1e300, 1e-300, [1.0] + [0.0] * 29),
        (1e6, 2.0, np.ones(30)),  # far before it: flat
        (1e300, 1e-300, np.ones(30)),
        (10.0, 1e-300, [1.0] * 10 + [0.5] + [0.0] * 19),  # a step at the midpoint
    ],
)
def test_sigmoid_is_finite_and_exact_for_extreme_settings(
    midpoint: float, width: float, expected: np.ndarray
) -> None:
    b = SatiationConfig(curve="sigmoid", midpoint=midpoint, width=width).bonus(np.arange(30.0))
    np.testing.assert_allclose(b, expected, rtol=1e-5, atol=1e-30)


def test_sigmoid_with_a_far_negative_midpoint_wraps_and_steps() -> None:
    env = gym.make("aisam/TransitionTable-v0")
    trace = intrinsic_trace(SatiationBonus(env, curve="sigmoid", midpoint=-1e6, **RAW), [0] * 5)
    assert trace[0] == 1.0 and np.isfinite(trace).all()  # was an OverflowError


def test_repeated_visits_follow_the_curve(scripted) -> None:
    env = SatiationBonus(scripted(), curve="exponential", half_life=3.0, **RAW)
    trace = intrinsic_trace(env, [1, 1, 1, 2, 1])
    np.testing.assert_allclose(trace, [1.0, 2 ** (-1 / 3), 2 ** (-2 / 3), 1.0, 0.5], **F32)


def test_recovery_restores_interest_with_time_away(scripted) -> None:
    visits = [1] * 5 + [2] * 20 + [1]
    cfg = {"curve": "hyperbolic", **RAW}
    fixed = intrinsic_trace(SatiationBonus(scripted(), **cfg), visits)[-1]
    recovered = intrinsic_trace(SatiationBonus(scripted(), recovery_rate=0.1, **cfg), visits)[-1]
    assert fixed == pytest.approx(6**-0.5)
    # counts decay by exp(-0.1) per step away: 5 visits in a row, then 21 steps away
    count = sum(np.exp(-0.1 * k) for k in range(5)) * np.exp(-0.1 * 21)
    assert recovered == pytest.approx((1 + count) ** -0.5, rel=1e-5)
    assert recovered > 1.9 * fixed


def test_episodic_memory_forgets_at_episode_end_lifelong_does_not(scripted) -> None:
    visits = [1, 1, 1, 1]  # episodes of 2 steps
    episodic = intrinsic_trace(
        SatiationBonus(scripted(episode_len=2), memory="episodic", **RAW), visits
    )
    lifelong = intrinsic_trace(SatiationBonus(scripted(episode_len=2), **RAW), visits)
    np.testing.assert_allclose(episodic, [1, 2**-0.5, 1, 2**-0.5], **F32)
    np.testing.assert_allclose(lifelong, [1, 2**-0.5, 3**-0.5, 0.5], **F32)


def test_per_action_keys_count_state_action_pairs() -> None:
    sat = Satiation(spaces.Discrete(4), spaces.Discrete(3), config=SatiationConfig(per_action=True))
    obs = np.zeros(3, dtype=np.int64)
    nxt = np.array([2, 2, 2])
    first = sat.compute(Transitions(obs, np.array([0, 1, 2]), nxt, env_ids=np.arange(3)))
    second = sat.compute(Transitions(obs, np.array([0, 0, 1]), nxt, env_ids=np.arange(3)))
    np.testing.assert_allclose(first, [1, 1, 1], **F32)
    np.testing.assert_allclose(
        second, [2**-0.5, 2**-0.5, 2**-0.5], **F32
    )  # counts before this batch


@pytest.mark.parametrize(
    ("obs_space", "act_space", "bad", "memory"),
    [
        (spaces.Discrete(4), spaces.Discrete(3), 7, "lifelong"),  # was pair (2, 1)
        (spaces.Discrete(4), spaces.Discrete(3), 3, "lifelong"),  # was pair (1, 0)
        (spaces.Discrete(4), spaces.Discrete(3), -1, "lifelong"),
        (spaces.Discrete(4), spaces.Discrete(3, start=1), 0, "lifelong"),
        (spaces.Discrete(4), spaces.Discrete(3), 5, "episodic"),
        (spaces.MultiDiscrete([2**31, 2**30]), spaces.Discrete(8), 8, "lifelong"),  # hashed
    ],
)
def test_per_action_actions_outside_the_space_are_refused(
    obs_space: spaces.Space, act_space: spaces.Discrete, bad: int, memory: str
) -> None:
    cfg = SatiationConfig(per_action=True, memory=memory)
    sat = Satiation(obs_space, act_space, 2, cfg)
    nxt = np.array([obs_space.start] * 2)
    acts = np.array([act_space.start, bad])
    with pytest.raises(OutOfSpaceError, match=rf"action {bad} is outside the space Discrete"):
        sat.compute(Transitions(nxt, acts, nxt, env_ids=np.arange(2)))
    assert not sat.memory.columns["count"].any()  # nothing counted, not even the good row


def test_batch_duplicates_share_the_count_before_the_batch_then_all_add() -> None:
    sat = Satiation(spaces.Discrete(5), spaces.Discrete(2), num_envs=4)
    keys = np.array([3, 3, 3, 1])
    np.testing.assert_allclose(
        sat.compute(Transitions(keys, keys, keys, env_ids=np.arange(4))), [1, 1, 1, 1], **F32
    )
    np.testing.assert_allclose(
        sat.score(Transitions(keys, keys, keys, env_ids=np.arange(4)))[[0, 3]],
        [0.5, 2**-0.5],
        **F32,
    )


def test_simhash_keys_box_observations_and_similar_arrays_share_counts() -> None:
    space = spaces.Box(-1.0, 1.0, (16,), dtype=np.float32)
    sat = Satiation(space, spaces.Discrete(2), num_envs=2, config=SatiationConfig(hash_bits=16))
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1, 16)).astype(np.float32)
    batch = np.concatenate([x, x + 1e-6])  # the same sign pattern
    acts = np.zeros(2, dtype=np.int64)
    sat.compute(Transitions(batch, acts, batch, env_ids=np.arange(2)))
    assert sat.score(Transitions(batch, acts, batch, env_ids=np.arange(2))) == pytest.approx(
        [3**-0.5] * 2
    )
    novel = -batch  # every projection flips sign
    assert sat.score(Transitions(novel, acts, novel, env_ids=np.arange(2))) == pytest.approx(
        [1.0, 1.0]
    )


def test_key_fn_reads_a_cell_from_infos(scripted) -> None:
    env = SatiationBonus(scripted(), key_fn=lambda obs, infos: infos["cell"], **RAW)
    trace = intrinsic_trace(env, [2, 3, 4])  # cells 1, 1, 2
    np.testing.assert_allclose(trace, [1.0, 2**-0.5, 1.0], **F32)


def test_key_fn_rows_are_hashed_and_bad_output_is_rejected() -> None:
    space = spaces.Box(0, 1, (2,))
    rows = Satiation(space, spaces.Discrete(2), 2, key_fn=lambda o, i: np.array([[1, 2], [1, 2]]))
    obs = np.zeros((2, 2), dtype=np.float32)
    np.testing.assert_allclose(
        rows.compute(Transitions(obs, obs, obs, env_ids=np.arange(2))), [1, 1], **F32
    )
    assert rows.score(Transitions(obs, obs, obs, env_ids=np.arange(2))) == pytest.approx(
        [3**-0.5] * 2
    )
    floats = Satiation(space, spaces.Discrete(2), 2, key_fn=lambda o, i: np.ones(2))
    with pytest.raises(InvalidConfigError, match="integers"):
        floats.compute(Transitions(obs, obs, obs, env_ids=np.arange(2)))


def test_multidiscrete_and_multibinary_observations_get_keys() -> None:
    md = Satiation(spaces.MultiDiscrete([3, 4]), spaces.Discrete(2), 2)
    assert md.state_key.n_keys == 12
    obs = np.array([[2, 3], [2, 3]])
    np.testing.assert_allclose(
        md.compute(Transitions(obs, obs, obs, env_ids=np.arange(2))), [1, 1], **F32
    )
    mb = Satiation(spaces.MultiBinary(8), spaces.Discrete(2), 1)
    np.testing.assert_allclose(
        mb.compute(
            Transitions(np.ones((1, 8)), np.zeros(1), np.ones((1, 8)), env_ids=np.arange(1))
        ),
        [1.0],
        **F32,
    )


@pytest.mark.parametrize(
    ("space", "bad"),
    [
        (spaces.MultiDiscrete([3, 3]), [5, 0]),  # its mixed-radix key would be [2, 1]'s
        (spaces.MultiDiscrete([3, 3]), [0, -1]),
        (spaces.MultiDiscrete([3, 3], start=[1, 1]), [0, 1]),
        (spaces.MultiDiscrete([2**40, 2**40, 2**40]), [0, 2**40, 0]),  # hashed keys
    ],
)
def test_multidiscrete_observations_outside_the_space_are_refused(
    space: spaces.MultiDiscrete, bad: list[int]
) -> None:
    sat = Satiation(space, spaces.Discrete(2), 2)
    z, ids, k = np.zeros(2), np.arange(2), len(space.nvec)
    with pytest.raises(OutOfSpaceError, match=rf"observation \[{bad[0]}, {bad[1]}"):
        sat.compute(Transitions(z, z, np.array([space.start, bad]), env_ids=ids))
    with pytest.raises(OutOfSpaceError, match=f"{k + 1} values"):  # a column too many
        sat.compute(Transitions(z, z, np.ones((2, k + 1), dtype=np.int64), env_ids=ids))
    assert not sat.memory.columns["count"].any()  # nothing counted


def test_per_action_keys_of_a_huge_multidiscrete_space_are_hashed_pairs() -> None:
    space = spaces.MultiDiscrete([2**31, 2**30])  # 2**61 states x 8 actions overflow int64
    sat = Satiation(space, spaces.Discrete(8), 3, SatiationConfig(per_action=True))
    nxt = np.array([[2**31 - 1, 2**30 - 1]] * 3)
    acts = np.array([7, 7, 0])
    np.testing.assert_allclose(
        sat.compute(Transitions(nxt, acts, nxt, env_ids=np.arange(3))), [1, 1, 1], **F32
    )
    np.testing.assert_allclose(
        sat.score(Transitions(nxt, acts, nxt, env_ids=np.arange(3))),
        [3**-0.5] * 2 + [0.5**0.5],
        **F32,
    )


def test_unsupported_spaces_name_the_option_to_use() -> None:
    with pytest.raises(UnsupportedSpaceError, match="key_fn="):
        Satiation(spaces.Text(5), spaces.Discrete(2))
    with pytest.raises(UnsupportedSpaceError, match="key_fn="):
        Satiation(
            spaces.Box(0, 1, (3,)), spaces.Discrete(2), config=SatiationConfig(key="discrete")
        )
    with pytest.raises(UnsupportedSpaceError, match="per_action=False"):
        Satiation(
            spaces.Discrete(3), spaces.Box(-1, 1, (2,)), config=SatiationConfig(per_action=True)
        )


@pytest.mark.parametrize(
    "settings",
    [
        {"curve": "linear"},
        {"memory": "forever"},
        {"half_life": 0},
        {"half_life": np.inf},
        {"power": "0.5"},
        {"midpoint": np.nan},
        {"midpoint": None},
        {"width": np.inf},
        {"width": True},
        {"recovery_rate": -1.0},
        {"recovery_rate": np.nan},
        {"key": "md5"},
        {"hash_bits": 80},
        {"hash_bits": 2.5},
        {"hash_bits": True},
        {"seed": -1},
        {"seed": 1.0},
        {"per_action": "False"},
        {"per_action": 1},
    ],
)
def test_bad_settings_are_rejected(settings: dict) -> None:
    with pytest.raises(InvalidConfigError, match=next(iter(settings))):
        Satiation(spaces.Box(0, 1, (3,)), spaces.Discrete(2), config=SatiationConfig(**settings))


def test_a_nan_setting_is_refused_before_it_can_zero_the_bonus(scripted) -> None:
    with pytest.raises(InvalidConfigError, match="midpoint must be finite"):
        SatiationBonus(scripted(), curve="sigmoid", midpoint=float("nan"))


def test_numpy_scalars_are_accepted_as_settings() -> None:
    cfg = SatiationConfig(
        curve="sigmoid", midpoint=np.int64(5), width=np.float32(2.0), hash_bits=np.int64(16),
        seed=np.uint8(3), recovery_rate=np.float64(0.1),
    )  # fmt: skip
    sat = Satiation(spaces.Box(0, 1, (3,)), spaces.Discrete(2), config=cfg)
    assert sat.state_key.n_keys == 2**16
    obs = np.ones((1, 3), dtype=np.float32)
    assert sat.compute(Transitions(obs, np.zeros(1), obs, env_ids=np.arange(1))) == pytest.approx(
        [1.0]
    )


def test_config_and_fields_together_are_rejected(scripted) -> None:
    with pytest.raises(InvalidConfigError, match="either"):
        SatiationBonus(scripted(), config=SatiationConfig(), curve="sigmoid")


def test_hashed_memory_matches_the_dense_one_on_a_large_table() -> None:
    """Beyond the dense limit keys go through the hash table: same bonuses."""
    from aisam_wrappers import memory

    big = spaces.Discrete(memory.DENSE_LIMIT * 4)
    small = spaces.Discrete(5000)
    hashed = Satiation(big, spaces.Discrete(2), 64, SatiationConfig(memory="episodic"))
    dense = Satiation(small, spaces.Discrete(2), 64, SatiationConfig(memory="episodic"))
    assert not hashed.memory.dense and dense.memory.dense
    rng = np.random.default_rng(0)
    ids = np.arange(64)
    for _ in range(50):
        keys = rng.integers(0, 40, 64)
        a = hashed.compute(Transitions(keys, keys, keys, env_ids=ids))
        b = dense.compute(Transitions(keys, keys, keys, env_ids=ids))
        np.testing.assert_array_equal(a, b)
        ended = rng.random(64) < 0.1
        hashed.end_episodes(np.flatnonzero(ended))
        dense.end_episodes(np.flatnonzero(ended))


def test_table_vector_env_counts_are_shared_across_envs() -> None:
    env = gym.make_vec(
        "aisam/TransitionTable-v0", num_envs=4, vectorization_mode="vector_entry_point",
        n_states=10, kind="lock",
    )  # fmt: skip
    env = SatiationBonus(env, **RAW)
    env.reset(seed=0)
    seen: list[np.ndarray] = []
    for t in range(2):
        _, _, _, _, info = env.step(np.full(4, t, dtype=np.int64))
        before = np.array([sum((s == k).sum() for s in seen) for k in info["state"]])
        np.testing.assert_allclose(info["intrinsic_reward"], (1 + before) ** -0.5, **F32)
        seen.append(info["state"])
    counts = env.mixer.reward.memory.columns["count"]
    assert counts.sum() == 8 and counts.max() >= 2  # 4 envs started in the same state


def test_score_then_update_equals_compute_with_recovery() -> None:
    def make() -> Satiation:
        return Satiation(
            spaces.Discrete(5), spaces.Discrete(2), config=SatiationConfig(recovery_rate=0.5)
        )

    split, fused = make(), make()
    act, ids = np.zeros(1, dtype=np.int64), np.arange(1)
    for state in (1, 2, 1, 1, 3, 1):
        s = np.array([state])
        scored = split.score(Transitions(s, act, s, env_ids=ids))
        split.update(Transitions(s, act, s, env_ids=ids))
        np.testing.assert_allclose(
            scored, fused.compute(Transitions(s, act, s, env_ids=ids)), **F32
        )


def test_per_action_keys_shift_actions_by_the_space_start() -> None:
    sat = Satiation(
        spaces.Discrete(4), spaces.Discrete(3, start=1), config=SatiationConfig(per_action=True)
    )
    nxt, acts = np.array([3, 3, 3]), np.array([1, 2, 3])  # the last key is the largest, 11
    np.testing.assert_allclose(
        sat.compute(Transitions(nxt, acts, nxt, env_ids=np.arange(3))), [1, 1, 1], **F32
    )
    np.testing.assert_allclose(
        sat.score(Transitions(nxt, acts, nxt, env_ids=np.arange(3))), [2**-0.5] * 3, **F32
    )
