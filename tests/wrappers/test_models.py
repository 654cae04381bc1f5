"""Predictive models (Dirichlet counts, RND, forward dynamics) and the two model bonuses."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from bonus_helpers import ScriptedEnv, intrinsic_trace
from gymnasium import spaces

import aisam_envs  # noqa: F401  (registers the ids)
from aisam_wrappers import (
    DirichletCountModel,
    EntropyBonus,
    InvalidConfigError,
    OutOfSpaceError,
    PredictionErrorBonus,
    PredictiveModel,
    Transitions,
    UnsupportedSpaceError,
)
from aisam_wrappers.encoding import FeatureEncoder
from aisam_wrappers.models import ForwardDynamicsModel, ModelConfig, RNDModel


def test_count_model_is_the_exact_dirichlet_posterior() -> None:
    model = DirichletCountModel(spaces.Discrete(4), spaces.Discrete(2), prior_mass=2.0)
    s, a = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    assert model.predictive_entropy(s, a)[0] == pytest.approx(np.log(4))
    model.update(Transitions(np.zeros(3), np.zeros(3), np.array([1, 1, 2])))
    p = (np.array([0, 2, 1, 0]) + 0.5) / 5.0  # counts + alpha (= 2 / 4), over 3 + 2
    assert model.predictive_entropy(s, a)[0] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-5)
    surprise = model.prediction_error(Transitions(np.zeros(4), np.zeros(4), np.arange(4)))
    np.testing.assert_allclose(surprise, -np.log(p), rtol=1e-5)
    other = model.predictive_entropy(np.zeros(1), np.ones(1))  # (0, 1) never tried
    assert other[0] == pytest.approx(np.log(4))


@pytest.mark.parametrize(
    "obs, action, nxt",
    [([4], [0], [1]), ([-1], [0], [1]), ([0], [2], [1]), ([0], [0], [4]), ([0, 9], [0, 0], [1, 1])],
)
def test_count_model_rejects_values_outside_its_spaces_and_counts_nothing(
    obs: list[int], action: list[int], nxt: list[int]
) -> None:
    model = DirichletCountModel(spaces.Discrete(4), spaces.Discrete(2))
    with pytest.raises(OutOfSpaceError, match="outside the space Discrete"):
        model.update(Transitions(np.array(obs), np.array(action), np.array(nxt)))
    with pytest.raises(OutOfSpaceError):
        model.prediction_error(Transitions(np.array(obs), np.array(action), np.array(nxt)))
    assert model.transitions == 0 and not model.totals.any()


def test_count_model_refuses_fractional_values() -> None:
    model = DirichletCountModel(spaces.Discrete(4), spaces.Discrete(2))
    with pytest.raises(OutOfSpaceError, match="next observation 2.5 is not a value"):
        model.update(Transitions(np.array([0]), np.array([1]), np.array([2.5])))
    with pytest.raises(OutOfSpaceError, match="action 0.25 is not a value"):
        model.update(Transitions(np.array([0]), np.array([0.25]), np.array([2])))
    assert model.transitions == 0


def test_entropy_falls_to_zero_on_a_deterministic_world() -> None:
    model = DirichletCountModel(spaces.Discrete(50), spaces.Discrete(3))
    s = np.arange(10)
    before = model.predictive_entropy(s, s % 3)
    for _ in range(20):
        model.update(Transitions(s, s % 3, (s + 1) % 50))
    after = model.predictive_entropy(s, s % 3)
    assert np.all(before == pytest.approx(np.log(50))) and np.all(after < 0.1 * before)


@pytest.mark.parametrize("cls", [RNDModel, ForwardDynamicsModel])
def test_learned_models_satisfy_the_protocol_and_learn(cls: type) -> None:
    obs_space, act_space = spaces.Box(-1, 1, (6,), dtype=np.float32), spaces.Discrete(3)
    model = cls(obs_space, act_space, ModelConfig(hidden=32, features=8, lr=3e-3, device="cpu"))
    assert isinstance(model, PredictiveModel)
    rng = np.random.default_rng(0)
    seen = rng.uniform(-1, 1, (32, 6)).astype(np.float32)
    acts = rng.integers(0, 3, 32)
    nxt = np.roll(seen, 1, axis=0)
    start = model.prediction_error(Transitions(seen, acts, nxt)).mean()
    for _ in range(300):
        metrics = model.update(Transitions(seen, acts, nxt))
    assert {"mse", "nll"} <= set(metrics)
    trained = model.prediction_error(Transitions(seen, acts, nxt))
    assert trained.dtype == np.float32 and trained.shape == (32,)
    assert trained.mean() < 0.2 * start
    ent = model.predictive_entropy(seen, acts)
    assert ent.dtype == np.float32 and ent.shape == (32,) and np.all(np.isfinite(ent))


def test_rnd_is_more_surprised_by_novel_observations() -> None:
    space = spaces.Discrete(20)
    model = RNDModel(space, space, ModelConfig(hidden=32, features=8, lr=3e-3, device="cpu"))
    seen = np.arange(10)
    for _ in range(200):
        model.update(Transitions(seen, seen, seen))
    known = model.prediction_error(Transitions(seen, seen, seen)).mean()
    novel = model.prediction_error(Transitions(seen + 10, seen, seen + 10)).mean()
    assert novel > 5 * known


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnd_error_tracks_visits_on_discrete_states(seed: int) -> None:
    # The default RND on a 160-state table, trained online as the bonus trains it
    # (batches of 64) on a skewed stream over the even ids only. A state never seen
    # must stay surprising however much the others are learned, and the odd ids,
    # each next to a visited one, are different states, not near copies of them.
    # With PyTorch's default init the target was nearly one vector for all states:
    # unseen errors fell ~15x and ended within 1.6x of the most visited ones.
    model = RNDModel(spaces.Discrete(160), spaces.Discrete(4), ModelConfig(device="cpu", seed=seed))
    states = np.arange(160)
    before = model.prediction_error(Transitions(states, states, states))
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, 81)  # Zipf over the 80 even ids: 0 most often
    counts = np.zeros(160)
    for _ in range(300):
        batch = 2 * rng.choice(80, 64, p=p / p.sum())
        counts += np.bincount(batch, minlength=160)
        model.update(Transitions(batch, batch, batch))
    after = model.prediction_error(Transitions(states, states, states))
    frequent = np.flatnonzero(counts >= 200)
    assert frequent.size >= 15 and counts[1::2].sum() == 0
    unseen = after[1::2]
    assert unseen.mean() > 0.7 * before[1::2].mean()  # not learned from other states
    assert unseen.mean() > 5 * after[frequent].mean()
    assert unseen.min() > after[frequent].max()
    assert np.all(after[frequent + 1] > 2 * after[frequent])  # id s + 1 is not s


def test_rnd_target_gives_each_discrete_state_its_own_code() -> None:
    model = RNDModel(spaces.Discrete(160), spaces.Discrete(4), ModelConfig(device="cpu"))
    with torch.no_grad():
        codes = model._core.embedding(model._core.obs_features(np.arange(160))).numpy()
    shared = (codes.mean(axis=0) ** 2).sum()  # learnable from any state: no novelty in it
    assert shared < 0.05 * (codes**2).sum(axis=1).mean()
    cos = (
        (codes[:-1] * codes[1:]).sum(1)
        / np.linalg.norm(codes[:-1], axis=1)
        / np.linalg.norm(codes[1:], axis=1)
    )
    assert np.abs(cos).max() < 0.6  # neighbouring ids are unrelated codes


def _frames(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 4-frame stacks of 84x84 grey frames, channels first."""
    return rng.integers(0, 256, (n, 4, 84, 84), dtype=np.uint8)


def test_rnd_reads_atari_frames_with_the_papers_convolutions() -> None:
    """uint8 frames go through the convolutional trunk (the default, ``encoder="auto"``);
    ``image_channels=1`` reads the newest frame alone, and channels-last frames are the
    same model read the other way round."""
    config = ModelConfig(hidden=32, features=16, image_channels=1, device="cpu")
    model = RNDModel(spaces.Box(0, 255, (4, 84, 84), np.uint8), None, config)
    core = model._core
    convs = [m for m in core.predictor.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 64] and convs[0].in_channels == 1
    assert any(isinstance(m, torch.nn.Conv2d) for m in core.embedding.modules())
    assert core.dim == 84 * 84  # the whitening statistics: one frame's pixels
    rng = np.random.default_rng(0)
    frames = _frames(rng, 6)
    model.update(Transitions(frames, None, frames))
    error = model.prediction_error(Transitions(frames, None, frames))
    older = frames.copy()
    older[:, :3] = _frames(rng, 6)[:, :3]  # only the three older frames differ
    np.testing.assert_array_equal(model.prediction_error(Transitions(older, None, older)), error)
    last = RNDModel(spaces.Box(0, 255, (84, 84, 4), np.uint8), None, config)
    last.update(Transitions(frames.transpose(0, 2, 3, 1), None, frames.transpose(0, 2, 3, 1)))
    moved = frames.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(last.prediction_error(Transitions(moved, None, moved)), error)


def test_rnd_on_frames_is_more_surprised_by_novel_ones() -> None:
    model = RNDModel(
        spaces.Box(0, 255, (4, 84, 84), np.uint8),
        None,
        ModelConfig(hidden=64, features=16, lr=1e-3, image_channels=1, device="cpu"),
    )
    rng = np.random.default_rng(1)
    seen, novel = _frames(rng, 8), _frames(rng, 8)
    for _ in range(60):
        model.update(Transitions(seen, None, seen))
    known = model.prediction_error(Transitions(seen, None, seen)).mean()
    assert model.prediction_error(Transitions(novel, None, novel)).mean() > 3 * known


def test_forward_model_reads_frames_and_the_action() -> None:
    model = ForwardDynamicsModel(
        spaces.Box(0, 255, (84, 84, 1), np.uint8),
        spaces.Discrete(3),
        ModelConfig(hidden=32, features=8, device="cpu"),
    )
    assert model._core.image is not None and not model._core.image.channels_first
    frames = np.random.default_rng(2).integers(0, 256, (4, 84, 84, 1), dtype=np.uint8)
    zero, one = np.zeros(4, np.int64), np.ones(4, np.int64)
    assert not np.array_equal(
        model.predictive_entropy(frames, zero), model.predictive_entropy(frames, one)
    )
    assert np.all(np.isfinite(model.update(Transitions(frames, zero, frames))["mse"]))


@pytest.mark.parametrize(
    "space, settings, error, match",
    [
        (spaces.Box(0, 1, (6,)), {"encoder": "cnn"}, UnsupportedSpaceError, "encoder='mlp'"),
        (spaces.Box(0, 255, (4, 20, 20), np.uint8), {"encoder": "cnn"}, UnsupportedSpaceError,
         "at least 36"),
        (spaces.Box(0, 1, (6,)), {"image_channels": 1}, InvalidConfigError, "CNN encoder only"),
        (spaces.Box(0, 255, (4, 84, 84), np.uint8), {"image_channels": 5}, InvalidConfigError,
         "have 4 channels"),
    ],
)  # fmt: skip
def test_encoders_that_cannot_read_the_space_are_refused(
    space: spaces.Space, settings: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        RNDModel(space, None, ModelConfig(device="cpu", **settings))


def test_auto_encoder_uses_the_cnn_for_uint8_frames_only() -> None:
    def image(space: spaces.Space) -> bool:
        return RNDModel(space, None, ModelConfig(device="cpu"))._core.image is not None

    assert image(spaces.Box(0, 255, (4, 84, 84), np.uint8))
    assert not image(spaces.Box(0, 1, (4, 84, 84), np.float32))
    assert not image(spaces.Box(0, 255, (2, 6, 6), np.uint8))


def test_prediction_error_bonus_decays_on_a_repeated_transition() -> None:
    env = PredictionErrorBonus(ScriptedEnv(), model="count", normalize=False)
    trace = intrinsic_trace(env, [3] * 6)
    assert np.all(np.diff(trace[1:]) < 0)  # surprise of (3, a=3) -> 3 keeps falling


@pytest.mark.parametrize("target", ["transition", "next_state"])
def test_entropy_bonus_pays_for_untried_transitions(target: str) -> None:
    env = EntropyBonus(ScriptedEnv(), target=target, normalize=False)
    trace = intrinsic_trace(env, [1, 1, 1, 2])
    if target == "transition":  # H(. | s, a) before learning the pair
        assert trace[0] == pytest.approx(np.log(8)) and trace[2] < trace[0] and trace[3] > trace[2]
    else:  # mean over actions of H(. | s', a): falls as s' gets tried
        assert trace[0] == pytest.approx(np.log(8)) and trace[2] < trace[1] <= trace[0]


def test_world_model_style_objects_plug_in() -> None:
    class Constant:
        def prediction_error(self, batch: Transitions) -> np.ndarray:
            return np.full(len(batch), 0.25, dtype=np.float32)

        def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
            return np.full(len(obs), 0.5, dtype=np.float32)

        def update(self, batch: Transitions) -> dict[str, float]:
            return {"loss": 0.0}

    pe = intrinsic_trace(
        PredictionErrorBonus(ScriptedEnv(), model=Constant(), normalize=False), [1]
    )
    ent = intrinsic_trace(EntropyBonus(ScriptedEnv(), model=Constant(), normalize=False), [1])
    assert pe[0] == 0.25 and ent[0] == 0.5
    with pytest.raises(InvalidConfigError, match="not a PredictiveModel"):
        PredictionErrorBonus(ScriptedEnv(), model=object())
    with pytest.raises(InvalidConfigError, match="unknown model"):
        EntropyBonus(ScriptedEnv(), model="gpt")


def test_models_train_in_batches_of_train_batch() -> None:
    env = PredictionErrorBonus(
        ScriptedEnv(), model="count", train_batch=np.int64(4), normalize=False
    )
    trace = intrinsic_trace(env, [3] * 6)
    assert trace[1] == trace[2] == trace[3]  # nothing learned before 4 transitions
    assert trace[4] < trace[3]


@pytest.mark.parametrize("train_batch", [0, 2.5, float("nan"), True, "4"])
def test_train_batch_must_be_a_positive_int(train_batch: object) -> None:
    with pytest.raises(InvalidConfigError, match="train_batch"):
        PredictionErrorBonus(ScriptedEnv(), model="count", train_batch=train_batch)


@pytest.mark.parametrize(
    "settings",
    [
        {"hidden": 2.5},
        {"hidden": True},
        {"features": 0},
        {"lr": float("inf")},
        {"lr": float("nan")},
        {"lr": "1e-3"},
        {"lr": 0.0},
        {"update_proportion": 0.0},
        {"update_proportion": float("nan")},
        {"seed": -1},
        {"seed": 1.5},
        {"device": "nope"},
        {"device": None},
        {"normalize_obs": "no"},
        {"encoder": "conv"},
        {"image_channels": -1},
        {"image_channels": 1.0},
    ],
)
def test_bad_model_configs_are_rejected(settings: dict) -> None:
    with pytest.raises(InvalidConfigError, match=next(iter(settings))):
        ModelConfig(**settings)


def test_model_config_takes_numpy_scalars_and_a_dict_of_its_fields() -> None:
    config = ModelConfig(hidden=np.int64(8), lr=np.float32(0.01), seed=np.uint32(1), device="cpu")
    RNDModel(spaces.Discrete(4), spaces.Discrete(2), config).update(
        Transitions(np.arange(4), None, np.arange(4))
    )
    env = PredictionErrorBonus(ScriptedEnv(), model_config={"hidden": 8, "device": "cpu"})
    assert env.mixer.reward.model._core.config == ModelConfig(hidden=8, device="cpu")
    with pytest.raises(InvalidConfigError, match=r"unknown model_config field\(s\) \['x'\]"):
        PredictionErrorBonus(ScriptedEnv(), model_config={"x": 1})
    with pytest.raises(InvalidConfigError, match="hidden must be an int"):
        EntropyBonus(ScriptedEnv(), model="rnd", model_config={"hidden": 2.5})
    with pytest.raises(InvalidConfigError, match="dict of its fields"):
        PredictionErrorBonus(ScriptedEnv(), model_config=5)


@pytest.mark.parametrize("bonus", [PredictionErrorBonus, EntropyBonus])
@pytest.mark.parametrize("own_model", [False, True])
@pytest.mark.parametrize("config", [{"hidden": 8}, ModelConfig(hidden=8, device="cpu")])
def test_model_config_is_refused_where_no_learned_model_reads_it(
    bonus: type, own_model: bool, config: object
) -> None:
    model = DirichletCountModel(spaces.Discrete(8), spaces.Discrete(8)) if own_model else "count"
    with pytest.raises(InvalidConfigError, match=r"only applies to .* \('rnd', 'forward'\)"):
        bonus(ScriptedEnv(), model=model, model_config=config)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_config_error() -> None:
    with pytest.raises(InvalidConfigError, match="CUDA is not available"):
        RNDModel(spaces.Discrete(4), spaces.Discrete(2), ModelConfig(device="cuda"))


def test_count_model_prior_mass_must_be_a_positive_real() -> None:
    for prior_mass in (0.0, float("nan"), "1"):
        with pytest.raises(InvalidConfigError, match="prior_mass"):
            DirichletCountModel(spaces.Discrete(4), spaces.Discrete(2), prior_mass=prior_mass)


def test_unsupported_spaces_name_the_option_to_use() -> None:
    box = gym.make("CartPole-v1")
    with pytest.raises(UnsupportedSpaceError, match="model='forward'"):
        EntropyBonus(box)
    with pytest.raises(UnsupportedSpaceError, match="model="):
        FeatureEncoder(spaces.Text(4))
    with pytest.raises(UnsupportedSpaceError, match="target='transition'"):
        EntropyBonus(gym.make("MountainCarContinuous-v0"), model="forward", target="next_state")
    with pytest.raises(InvalidConfigError, match="target"):
        EntropyBonus(ScriptedEnv(), target="future")
    with pytest.raises(InvalidConfigError, match="update_proportion"):
        ModelConfig(update_proportion=0.0)


def test_learned_bonus_on_box_observations_runs_end_to_end() -> None:
    env = PredictionErrorBonus(
        gym.make("CartPole-v1"), model_config=ModelConfig(hidden=16, device="cpu"), train_batch=8
    )
    trace = intrinsic_trace(env, [0, 1] * 20)
    assert np.all(np.isfinite(trace)) and np.ptp(trace) > 0


def test_frames_are_whitened_on_the_device_as_by_the_running_statistics() -> None:
    """uint8 frames (any strides) are flattened, cast and whitened on the model's device:
    the same features as the numpy definition (float64 statistics, clip to +-5), and the
    training step folds the batch's moments into the statistics."""
    from tolerance import F32

    model = RNDModel(spaces.Box(0, 255, (2, 6, 6), np.uint8), None, ModelConfig(device="cpu"))
    core = model._core
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (5, 2, 6, 6), dtype=np.uint8)
    model.update(Transitions(frames, np.zeros(5, np.int64), frames))
    x = frames.reshape(5, -1).astype(np.float64)
    prior = (1e-4, np.zeros(72), np.ones(72))  # RunningMeanStd's initial count, mean, var
    count = prior[0] + 5
    mean = (prior[0] * prior[1] + 5 * x.mean(0)) / count
    delta = x.mean(0) - prior[1]
    var = (prior[0] * prior[2] + 5 * x.var(0) + delta**2 * prior[0] * 5 / count) / count
    np.testing.assert_allclose(core._obs_stats.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(core._obs_stats.var, var, rtol=1e-12)
    flipped = frames[:, :, ::-1]  # negative strides
    expected = np.clip((flipped.reshape(5, -1) - mean) / (np.sqrt(var) + 1e-8), -5, 5)
    np.testing.assert_allclose(core.obs_features(flipped).numpy(), expected, **F32)


def test_large_discrete_spaces_use_binary_codes() -> None:
    enc = FeatureEncoder(spaces.Discrete(1_000_000))
    x = enc(np.array([0, 5, 999_999]))
    assert x.shape == (3, 20) and x[1, :3].tolist() == [1.0, 0.0, 1.0]
    # MultiDiscrete: one-hot columns up to ONE_HOT_LIMIT values, binary codes beyond
    enc = FeatureEncoder(spaces.MultiDiscrete([3, 2**31, 2000], start=[0, 0, 1]))
    x = enc(np.array([[2, 5, 1], [0, 2**31 - 1, 2000]]))
    assert enc.dim == x.shape[1] == 3 + 31 + 11
    assert x[0].nonzero()[0].tolist() == [2, 3, 5]  # 2 one-hot, 5 = 0b101, 1 - start = 0
    assert x[1, :3].tolist() == [1, 0, 0] and x[1, 3:34].all()
    assert x[1, 34:].tolist() == [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]  # 1999, low bit first


def test_learned_models_handle_huge_multidiscrete_spaces() -> None:
    space = spaces.MultiDiscrete([2**31] * 3)  # one-hot: 6e9 features, 48 GiB of statistics
    model = RNDModel(space, None, ModelConfig(hidden=16, device="cpu"))
    obs = np.array([[0, 1, 2**31 - 1], [5, 5, 5]])
    model.update(Transitions(obs, None, obs))
    assert model.prediction_error(Transitions(obs, None, obs)).shape == (2,)


@pytest.mark.parametrize(
    ("space", "bad"),
    [
        (spaces.Discrete(4), [-1]),  # one-hot indexing would wrap it to state 3
        (spaces.Discrete(4), [4]),
        (spaces.Discrete(2000), [2000]),
        (spaces.MultiDiscrete([3, 3]), [[0, 3]]),
        (spaces.MultiDiscrete([3, 2**31]), [[-1, 0]]),
        (spaces.MultiDiscrete([3, 3]), [[0, 0, 0]]),
        (spaces.Discrete(4), [1.5]),  # a cast would make it state 1
        (spaces.MultiDiscrete([3, 3]), [[0, np.nan]]),
    ],
)
def test_encoded_values_outside_the_space_are_refused(space: spaces.Space, bad: list) -> None:
    with pytest.raises(OutOfSpaceError, match="outside|do not fit|not a value"):
        FeatureEncoder(space)(np.array(bad))


def test_dense_tables_beyond_the_limit_are_refused_up_front() -> None:
    # the count model's per-pair sums would need 16 TiB
    with pytest.raises(UnsupportedSpaceError, match="over the dense-table limit.*model='forward'"):
        EntropyBonus(ScriptedEnv(n=2**40))
    # a 4M-feature input to 128 hidden units: a 2 GiB first layer
    with pytest.raises(UnsupportedSpaceError, match="over the dense-table limit.*hidden="):
        RNDModel(spaces.Box(0, 1, (2**22,)), None, ModelConfig(device="cpu"))


def test_wrappers_import_and_run_without_torch_or_sb3() -> None:
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['stable_baselines3'] = None\n"
        "import gymnasium as gym, aisam_wrappers as w\n"
        "env = w.SatiationBonus(gym.make('FrozenLake-v1')); env.reset(seed=0); env.step(1)\n"
        "w.EntropyBonus(gym.make('FrozenLake-v1')).reset(seed=0)\n"
        "try:\n    w.PredictionErrorBonus(gym.make('FrozenLake-v1'))\n"
        "except w.MissingExtraError as e:\n    print('missing:', e)\n"
        "print(sorted(m for m in ('torch', 'stable_baselines3') if sys.modules.get(m)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "aisam[agents]" in out.stdout and out.stdout.strip().endswith("[]")


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["rnd", "forward"])
def test_learned_bonuses_run_on_the_gpu(name: str) -> None:
    env = gym.make_vec(
        "aisam/TransitionTable-v0", num_envs=256, vectorization_mode="vector_entry_point",
        n_states=1000, obs_type="embedding",
    )  # fmt: skip
    env = PredictionErrorBonus(env, model=name, model_config=ModelConfig(device="cuda"))
    model = env.mixer.reward.model
    assert next(model._core.predictor.parameters()).is_cuda
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        _, reward, _, _, info = env.step(rng.integers(0, 4, 256))
        assert np.isfinite(reward).all() and info["intrinsic_reward"].dtype == np.float64


def test_count_model_remembers_every_transition_of_a_large_first_batch() -> None:
    # 10k states x 4 actions x 10k successors: hashed counts; 4096 transitions in one batch
    model = DirichletCountModel(spaces.Discrete(10_000), spaces.Discrete(4))
    rng = np.random.default_rng(0)
    s, a, nxt = (rng.integers(0, hi, 4096) for hi in (10_000, 4, 10_000))
    assert model.update(Transitions(s, a, nxt))["transitions"] == model.totals.sum() == 4096
    assert (
        model.update(Transitions(s[:10], a[:10], nxt[:10]))["transitions"]
        == model.totals.sum()
        == 4106
    )
    n = model.counts.get("n", model.counts.find(model._triples(model._pairs(s, a), nxt)))
    assert (n >= 1).all()
    assert model.prediction_error(Transitions(s, a, nxt)).max() < np.log(
        10.0
    )  # unseen: log(2 / alpha) ~ 10
