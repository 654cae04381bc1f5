"""WorldModel API: batches, protocol methods, imagination, errors, determinism, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.data import sequence_batch, transition_batch
from aisam_envs.errors import InvalidConfigError
from aisam_envs.table.tables import make_table
from aisam_wrappers import Transitions


def test_protocol_methods_shapes_and_dtypes(make_model, rng) -> None:
    model = make_model(16, 4)
    obs, actions, nxt = rng.integers(0, 16, 8), rng.integers(0, 4, 8), rng.integers(0, 16, 8)
    err = model.prediction_error(Transitions(obs, actions, nxt))
    ent = model.predictive_entropy(obs, actions)
    assert err.shape == ent.shape == (8,) and err.dtype == ent.dtype == np.float32
    assert (err > 0).all() and (ent > 0).all() and (ent <= np.log(16) + 1e-4).all()
    metrics = model.update(Transitions(obs, actions, nxt))
    assert {"loss", "obs_nll", "token_acc"} <= set(metrics)
    assert all(isinstance(v, float) for v in metrics.values())


def test_update_lowers_the_prediction_error_it_trains_on(make_model, rng) -> None:
    model = make_model(16, 4)
    obs, actions = rng.integers(0, 16, 32), rng.integers(0, 4, 32)
    nxt = (obs + actions) % 16
    before = model.prediction_error(Transitions(obs, actions, nxt)).mean()
    for _ in range(30):
        model.update(Transitions(obs, actions, nxt, rewards=np.zeros(32)), terminated=np.zeros(32))
    assert model.prediction_error(Transitions(obs, actions, nxt)).mean() < 0.5 * before


def test_sequences_with_history_and_mask(make_model, rng) -> None:
    table = make_table("lock", 16, 4, seed=0)
    model = make_model(16, 4, max_frames=6)
    batch = sequence_batch(table, 8, 6, rng)
    assert batch["obs"].shape == (8, 7) and batch["mask"].shape == (8, 6)
    losses = model.loss(batch)
    assert {"reward_mse", "term_bce"} <= set(losses) and torch.isfinite(losses["loss"])
    dist = model.predict_next(batch["obs"][:, :6], batch["actions"])  # a 6-frame history
    assert dist.logits.shape == (8, 1, 16)
    assert dist.reward.shape == dist.terminal_prob.shape == (8,)
    assert ((dist.terminal_prob >= 0) & (dist.terminal_prob <= 1)).all()


def test_obs_mask_masks_the_next_observation_loss_only(make_model, rng) -> None:
    table = make_table("lock", 16, 4, seed=0)
    model = make_model(16, 4, max_frames=6)
    batch = sequence_batch(table, 8, 6, rng)
    obs_mask = np.ones((8, 6), np.float32)
    obs_mask[:, 5] = 0  # the last transition: its next observation is unknown
    garbage = dict(batch, obs=batch["obs"].copy())
    garbage["obs"][:, 6] = (garbage["obs"][:, 6] + 5) % 16
    masked = model.loss(dict(garbage, obs_mask=obs_mask))
    cut = model.loss({k: v[:, :6] if k == "obs" else v[:, :5] for k, v in batch.items()})
    torch.testing.assert_close(masked["obs_nll"], cut["obs_nll"], rtol=1e-5, atol=1e-6)
    # its reward and termination still count
    full = model.loss(batch)
    for key in ("reward_mse", "term_bce"):
        torch.testing.assert_close(masked[key], full[key], rtol=1e-5, atol=1e-6)
        assert not torch.allclose(masked[key], cut[key])


def test_imagine_with_a_policy(make_model) -> None:
    model = make_model(16, 4)
    policy = lambda tokens, features: tokens[:, 0] % 4  # noqa: E731
    out = model.imagine(np.arange(6), policy, horizon=5)
    assert out.obs_tokens.shape == (6, 6, 1)
    assert torch.equal(out.actions[:, 0], torch.arange(6) % 4)
    assert out.entropies.shape == out.rewards.shape == out.terminal_probs.shape == (6, 5)
    with pytest.raises(InvalidConfigError, match="actions"):
        model.imagine(np.arange(6), lambda tokens, features: tokens[:, 0] + 10, horizon=2)


def test_same_seed_same_results(make_model, rng) -> None:
    table = make_table("stochastic", 16, 4, seed=1)
    batches = [transition_batch(table, 16, np.random.default_rng(i)) for i in range(3)]
    runs = []
    for _ in range(2):
        model = make_model(16, 4, seed=3)
        losses = [model.train_step(b)["loss"] for b in batches]
        sample = model.imagine(np.arange(4), np.zeros((4, 3), dtype=np.int64), 3).obs_tokens
        runs.append((losses, sample))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    other = make_model(16, 4, seed=4)
    assert other.train_step(batches[0])["loss"] != runs[0][0][0]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda m: m.prediction_error(
                Transitions(np.array([0, 16]), np.array([0, 0]), np.array([1, 1]))
            ),
            r"\[0, 16\)",
        ),
        (lambda m: m.predictive_entropy(np.array([0, 1]), np.array([0, 4])), r"\[0, 4\)"),
        (lambda m: m.predictive_entropy(np.array([0, 1]), np.array([0, 1, 2])), "shape"),
        (lambda m: m.loss({"obs": np.zeros((2, 2))}), "actions"),
        (
            lambda m: m.loss(
                {"obs": np.zeros((2, 12), dtype=np.int64), "actions": np.zeros((2, 11))}
            ),
            "transitions",
        ),
        (lambda m: m.imagine(np.arange(2), np.zeros((2, 3)), horizon=0), "horizon"),
        (lambda m: m.set_learning_rate(0.0), "learning rate"),
        (lambda m: m.set_learning_rate(float("inf")), "learning rate must be a finite"),
        (lambda m: m.set_learning_rate(float("nan")), "learning rate must be a finite"),
        (lambda m: m.set_learning_rate("0.1"), "learning rate must be a finite"),
        (lambda m: m.loss({"tokens": np.full((2, 2, 1), 16), "actions": np.zeros((2, 1))}), "16"),
        (lambda m: m.loss({"tokens": np.zeros((2, 2, 3)), "actions": np.zeros((2, 1))}), "tokens"),
        (
            lambda m: m.loss({"tokens": np.full((2, 2, 1), 1.5), "actions": np.zeros((2, 1))}),
            r"tokens must be integers in \[0, 16\)",
        ),
        (lambda m: m.loss({"tokens": np.zeros((0, 2, 1)), "actions": np.zeros((0, 1))}), "one seq"),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1], rewards=[np.nan, 0.0])),
            "rewards must be fin",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1], rewards=[np.inf, 0.0])),
            "rewards must be fin",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1]), terminated=[np.nan, 0]),
            r"terminated .*\[0, 1",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1]), terminated=[2.0, 0]),
            r"terminated .*\[0, 1",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1], rewards=[1.0])),
            r"rewards .*shape \(2, 1\)",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1], rewards=[1.0] * 3)),
            r"rewards .*\(2, 1\)",
        ),
        (
            lambda m: m.update(Transitions([0, 1], [0, 0], [1, 1, 2])),
            "obs and next_obs must have the same",
        ),
        (lambda m: m.update(Transitions([], [], [])), "at least one sequence"),
        (
            lambda m: m.update(Transitions([1.5, 1], [0, 0], [1, 1])),
            "observations must be integers",
        ),
        (
            lambda m: m.update(Transitions([1, 1], [1.7, 0], [1, 1])),
            r"actions must be integers in \[0, 4\)",
        ),
        (lambda m: m.update(Transitions([1, 1], [np.nan, 0], [1, 1])), "actions must be integers"),
        (lambda m: m.predictive_entropy([1, 1], [np.nan, 0]), "actions must be integers"),
        (
            lambda m: m.prediction_error(Transitions([1, 1], [0, 0], [np.nan, 0])),
            "observations must be int",
        ),
        (
            lambda m: m.loss(
                {"obs": np.zeros((2, 3), int), "actions": np.zeros((2, 2), int), "mask": [[1.0]]}
            ),
            r"mask must have shape \(2, 2\), got \(1, 1\)",
        ),
        (
            lambda m: m.loss(
                {
                    "obs": np.zeros((2, 3), int),
                    "actions": np.zeros((2, 2), int),
                    "mask": np.full((2, 2), np.nan),
                }
            ),
            r"mask must be in \[0, 1\]",
        ),
    ],
)
def test_bad_input_gives_clear_errors(make_model, call, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        call(make_model(16, 4))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"learning_rate": float("inf")}, "learning_rate must be finite"),
        ({"learning_rate": float("nan")}, "learning_rate must be finite"),
        ({"learning_rate": "0.1"}, "learning_rate must be of type float, got '0.1'"),
        ({"grad_clip": float("nan")}, "grad_clip must be finite"),
        ({"reward_coef": float("nan")}, "reward_coef must be finite"),
        ({"termination_coef": -1.0}, "termination_coef must be >= 0"),
        ({"beta1": 1.5}, r"beta1 must be in \[0, 1\)"),
        ({"beta2": 1.0}, r"beta2 must be in \[0, 1\)"),
        ({"seed": 2**70}, r"seed must be in \[0, 2\*\*63\)"),
        ({"seed": -1}, "seed must be in"),
        ({"n_layer": True}, "n_layer must be of type int"),
        ({"vq_ema": "yes"}, "vq_ema must be of type bool"),
        ({"device": "cuda:abc"}, "device must be 'auto', 'cpu' or 'cuda"),
        ({"device": "mps"}, "device must be 'auto', 'cpu' or 'cuda"),
        ({"device": 0}, "device must be of type str"),
    ],
)
def test_config_rejects_bad_values(overrides: dict, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        WorldModelConfig.preset("tiny", **overrides)


def test_an_unavailable_cuda_device_is_named(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    config = WorldModelConfig(device="cuda")  # a GPU config can be made and saved anywhere
    with pytest.raises(InvalidConfigError, match="'cuda' but CUDA is not available"):
        WorldModel(spaces.Discrete(4), spaces.Discrete(2), config)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(InvalidConfigError, match="'cuda:3' but this machine has 1 CUDA"):
        WorldModelConfig(device="cuda:3").torch_device()


def test_bad_spaces_and_configs() -> None:
    with pytest.raises(InvalidConfigError, match="Discrete action space"):
        WorldModel(spaces.Discrete(4), spaces.Box(-1, 1, (2,)))
    with pytest.raises(InvalidConfigError, match="Discrete and Box"):
        WorldModel(spaces.MultiBinary(3), spaces.Discrete(2))
    with pytest.raises(InvalidConfigError, match="divisible"):
        WorldModelConfig(n_embd=30, n_head=4)
    with pytest.raises(InvalidConfigError, match="power of two"):
        WorldModelConfig(image_size=48, grid_size=4)
    with pytest.raises(InvalidConfigError, match="unknown preset"):
        WorldModelConfig.preset("huge")
    with pytest.raises(InvalidConfigError, match="unknown WorldModelConfig fields"):
        WorldModelConfig.preset("tiny", n_layers=3)


def test_presets_grow() -> None:
    sizes = [WorldModelConfig.preset(p) for p in ("tiny", "small", "base")]
    assert [c.n_layer * c.n_embd**2 for c in sizes] == sorted(
        c.n_layer * c.n_embd**2 for c in sizes
    )
    assert WorldModelConfig.from_json(sizes[2].to_json()) == sizes[2]


@pytest.mark.parametrize(
    ("text", "match"),
    [("5", "a JSON int"), ("[1]", "a JSON list"), ('{"n_layer": 2, "bogus": 1}', r"\['bogus'\]$")],
)
def test_config_from_json_rejects_what_is_not_a_config(text: str, match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        WorldModelConfig.from_json(text)


def test_save_load_round_trip(make_model, rng, tmp_path) -> None:
    model = make_model(16, 4)
    model.update(Transitions(rng.integers(0, 16, 8), rng.integers(0, 4, 8), rng.integers(0, 16, 8)))
    model.save(tmp_path / "wm.pt")
    loaded = WorldModel.load(tmp_path / "wm.pt", device="cpu")
    obs, actions = np.arange(16), np.arange(16) % 4
    np.testing.assert_array_equal(
        model.predictive_entropy(obs, actions), loaded.predictive_entropy(obs, actions)
    )
    assert loaded.config == model.config and loaded.observation_space == model.observation_space


def test_weights_are_saved_once_and_load_whatever_the_training_forward(
    make_model, rng, tmp_path
) -> None:
    """The compiled or distributed training forward wraps the transformer: its weights are
    in the state dict once, so a file saved without ``compile`` loads into a model with it,
    and files that still hold the old ``_forward.*`` copy load too."""
    model = make_model(16, 4)
    model.update(Transitions(rng.integers(0, 16, 8), rng.integers(0, 4, 8), rng.integers(0, 16, 8)))
    keys = list(model.state_dict())
    assert keys and not [k for k in keys if k.startswith("_forward")]
    model.save(tmp_path / "wm.pt")
    payload = torch.load(tmp_path / "wm.pt", weights_only=True)
    _edit_config(payload, compile=True)
    torch.save(payload, tmp_path / "compiled.pt")
    old = torch.load(tmp_path / "wm.pt", weights_only=True)
    state = old["state_dict"]
    copies = {k.replace("transformer.", "_forward.", 1): v for k, v in state.items()}
    state.update({k: v for k, v in copies.items() if k.startswith("_forward.")})
    torch.save(old, tmp_path / "old.pt")
    obs, actions = np.arange(16), np.arange(16) % 4
    for name in ("compiled.pt", "old.pt"):
        loaded = WorldModel.load(tmp_path / name)
        np.testing.assert_array_equal(
            model.predictive_entropy(obs, actions), loaded.predictive_entropy(obs, actions)
        )
    assert WorldModel.load(tmp_path / "compiled.pt").config.compile


@pytest.mark.parametrize(
    "space",
    [
        spaces.Box(0.0, 1.0, (4,)),
        spaces.Box(np.zeros(3), np.array([1.0, 2.0, 3.0]), dtype=np.float64),  # one side uniform
        spaces.Box(np.array([-1.0, 0.5], np.float32), np.array([1.0, np.inf], np.float32)),
        spaces.Box(-np.inf, np.inf, (3,)),
        spaces.Box(np.array([-(2**62) - 1, 0]), np.array([2**62 + 1, 7]), dtype=np.int64),
        spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8),
    ],
    ids=["scalar", "per-element", "half-infinite", "infinite", "int64", "uint8-image"],
)
def test_save_load_round_trip_box_spaces(space: spaces.Box, tmp_path) -> None:
    model = WorldModel(space, spaces.Discrete(2), WorldModelConfig.preset("tiny", device="cpu"))
    space.seed(0)
    obs = np.stack([space.sample() for _ in range(8)])
    model.train_step({"obs": obs.reshape(4, 2, *space.shape), "actions": np.zeros((4, 1), int)})
    model.save(tmp_path / "wm.pt")
    loaded = WorldModel.load(tmp_path / "wm.pt")
    box = loaded.observation_space
    assert box.dtype == space.dtype and box.shape == space.shape
    np.testing.assert_array_equal(box.low, space.low)
    np.testing.assert_array_equal(box.high, space.high)
    actions = np.arange(8) % 2
    np.testing.assert_array_equal(
        model.predictive_entropy(obs, actions), loaded.predictive_entropy(obs, actions)
    )
    assert torch.equal(model.tokenize(obs), loaded.tokenize(obs))


def _edit_config(payload: dict, **fields: object) -> None:
    payload["config"] = json.dumps({**json.loads(payload["config"]), **fields})


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda p: p.update(state_dict=list(p["state_dict"].values())), "state_dict is not a"),
        (lambda p: p["state_dict"].update(extra=3), "state_dict is not a dict of tensors"),
        (lambda p: p.update(config=5), "config should be a JSON string, got int"),
        (lambda p: p.update(config="{not json"), "invalid config"),
        (lambda p: _edit_config(p, learning_rate="x"), "learning_rate must be of type float"),
        (lambda p: _edit_config(p, n_embd=32), "does not match"),
        (lambda p: p.update(version="1"), "version '1'; this aisam reads 1$"),
        (lambda p: p.update(version=True), "version True"),
        (lambda p: p.update(version=2), "version 2; this aisam reads 1$"),
        (lambda p: p.update(observation_space="[1]"), r"unknown space description \[1\]"),
        (lambda p: p.update(action_space='{"type": "Discrete", "n": "2"}'), "damaged"),
        (lambda p: p.pop("action_space"), "damaged"),
    ],
)
def test_load_rejects_damaged_payloads(make_model, tmp_path, edit, match: str) -> None:
    make_model(16, 4).save(tmp_path / "wm.pt")
    payload = torch.load(tmp_path / "wm.pt", weights_only=True)
    edit(payload)
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=match):
        WorldModel.load(tmp_path / "bad.pt")


def test_a_gpu_checkpoint_loads_on_the_cpu(make_model, tmp_path, monkeypatch) -> None:
    make_model(16, 4).save(tmp_path / "wm.pt")
    payload = torch.load(tmp_path / "wm.pt", weights_only=True)
    _edit_config(payload, device="cuda")
    torch.save(payload, tmp_path / "gpu.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InvalidConfigError, match="CUDA is not available"):
        WorldModel.load(tmp_path / "gpu.pt")
    assert WorldModel.load(tmp_path / "gpu.pt", device="cpu").device == torch.device("cpu")


def test_load_rejects_bad_checkpoints(make_model, tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint"):
        WorldModel.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        WorldModel.load(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an aisam world-model"):
        WorldModel.load(tmp_path / "other.pt")


def test_vector_observations_go_through_the_vq_route(rng) -> None:
    space = spaces.Box(-1.0, 1.0, (5,), dtype=np.float32)
    model = WorldModel(space, spaces.Discrete(3), WorldModelConfig.preset("tiny", device="cpu"))
    obs = rng.uniform(-1, 1, (8, 2, 5)).astype(np.float32)
    metrics = model.train_step({"obs": obs, "actions": rng.integers(0, 3, (8, 1))})
    assert metrics["tokenizer_loss"] > 0
    assert model.prediction_error(Transitions(obs[:, 0], np.zeros(8), obs[:, 1])).shape == (8,)
    obs[0, 1, 2] = np.nan
    with pytest.raises(InvalidConfigError, match="observations must be finite"):
        model.update(Transitions(obs[:, 0], np.zeros(8), obs[:, 1]))
    out = model.imagine(obs[:, 0], np.zeros((8, 2), dtype=np.int64), 2)
    assert out.obs_tokens.shape == (8, 3, 4)
    assert model.detokenize(out.obs_tokens).shape == (8, 3, 5)


def test_image_observations_become_a_grid_of_tokens(rng) -> None:
    space = spaces.Box(0, 255, (40, 30, 3), dtype=np.uint8)
    model = WorldModel(space, spaces.Discrete(2), WorldModelConfig.preset("tiny", device="cpu"))
    frames = rng.integers(0, 256, (3, 2, 40, 30, 3), dtype=np.uint8)
    model.train_step({"obs": frames, "actions": np.zeros((3, 1), dtype=np.int64)})
    assert model.tokenize(frames).shape == (3, 2, 16)
    assert model.detokenize(model.tokenize(frames[:, 0])).shape == (3, 3, 32, 32)
    with pytest.raises(InvalidConfigError, match="shape"):
        model.tokenize(frames[:, :, :20])
