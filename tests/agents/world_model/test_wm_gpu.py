"""The world model on CUDA: bf16 autocast, torch.compile, the KV cache (run on a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.data import all_pairs, fit_table
from aisam_envs.table.tables import make_table

pytestmark = pytest.mark.gpu


def _image_model(**overrides: object) -> WorldModel:
    config = WorldModelConfig.preset("small", device="cuda", **overrides)
    return WorldModel(spaces.Box(0, 255, (64, 64, 3), dtype=np.uint8), spaces.Discrete(6), config)


def test_bf16_compiled_training_matches_fp32_and_learns() -> None:
    g = torch.Generator("cuda").manual_seed(0)
    frame = torch.randint(0, 256, (8, 1, 16), device="cuda", generator=g)
    batch = {  # every frame repeats the first: the next frame copies the current one
        "tokens": frame.expand(8, 17, 16).contiguous(),
        "actions": torch.randint(0, 6, (8, 16), device="cuda", generator=g),
        "rewards": torch.rand(8, 16, device="cuda", generator=g),
    }
    fast, exact = _image_model(compile=True), _image_model(autocast=False)
    first = fast.train_step(batch)["loss"]
    assert first == pytest.approx(exact.train_step(batch)["loss"], rel=2e-2)
    losses = [fast.train_step(batch)["obs_nll"] for _ in range(60)]
    assert np.isfinite(losses).all() and losses[-1] < 0.2 * losses[0]


def test_cached_imagination_matches_uncached_on_cuda() -> None:
    model = _image_model(autocast=False)
    start = torch.randint(0, 256, (16, 64, 64, 3), dtype=torch.uint8, device="cuda")
    actions = torch.randint(0, 6, (16, 20), device="cuda")
    fast = model.imagine(start, actions, 20, sample=False, use_cache=True)
    slow = model.imagine(start, actions, 20, sample=False, use_cache=False)
    assert (fast.obs_tokens == slow.obs_tokens).float().mean() > 0.999
    torch.testing.assert_close(fast.entropies, slow.entropies, atol=1e-3, rtol=1e-3)


def test_learns_a_table_on_gpu() -> None:
    table = make_table("random", 1024, 6, seed=0)
    config = WorldModelConfig.preset("small", device="cuda", max_frames=1)
    model = WorldModel(spaces.Discrete(1024), spaces.Discrete(6), config)
    fit_table(model, table, 1000, 1024, 2e-3, np.random.default_rng(0))
    s, a = all_pairs(table)
    predicted = model.predict_next(s, a).probs[:, 0].argmax(-1).cpu().numpy()
    assert (predicted == table.next_states[s, a, 0]).mean() >= 0.99


def test_imagination_from_histories_with_gradients_on_cuda() -> None:
    model = _image_model()  # bf16 autocast, bf16 KV cache
    g = torch.Generator("cuda").manual_seed(0)
    history = torch.randint(
        0, 256, (8, 4, 64, 64, 3), dtype=torch.uint8, device="cuda", generator=g
    )
    past = torch.randint(0, 6, (8, 3), device="cuda", generator=g)
    actor = torch.nn.Linear(model.transformer.n_embd, 6).cuda()

    def policy(tokens: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = torch.distributions.Categorical(logits=actor(features.float()))
        hard = torch.nn.functional.one_hot(dist.probs.argmax(-1), 6).float()
        return hard + dist.probs - dist.probs.detach(), dist.log_prob(hard.argmax(-1))

    out = model.imagine(history, policy, 20, past_actions=past, grad=True)  # refills the context
    assert out.features.shape == (8, 20, model.transformer.n_embd)
    assert out.features.dtype == out.log_probs.dtype == torch.float32
    (out.features[:, -1].square().sum() - out.log_probs.sum()).backward()
    assert torch.isfinite(actor.weight.grad).all() and actor.weight.grad.abs().sum() > 0
