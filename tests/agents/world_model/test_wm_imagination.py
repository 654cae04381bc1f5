"""Imagination for agents: features, rollouts from histories, log-probs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from aisam_agents.world_model.imagination import context_start
from aisam_envs.errors import InvalidConfigError

TOL = {"atol": 1e-5, "rtol": 1e-5}


def _rollout_inputs(horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return torch.randint(0, 16, (5,), generator=g), torch.randint(0, 4, (5, horizon), generator=g)


class _Actor(nn.Module):
    """A linear softmax policy over the features; straight-through one-hot actions."""

    def __init__(self, d_model: int, n_actions: int = 4) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.head = nn.Linear(d_model, n_actions)

    def dist(self, features: torch.Tensor) -> torch.distributions.Categorical:
        return torch.distributions.Categorical(logits=self.head(features))

    def __call__(
        self, tokens: torch.Tensor, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dist = self.dist(features)
        action = dist.probs.argmax(-1)  # deterministic, so rollouts can be compared
        hard = nn.functional.one_hot(action, dist.probs.shape[-1]).float()
        return hard + dist.probs - dist.probs.detach(), dist.log_prob(action)

    def ids(
        self, tokens: torch.Tensor, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampled action ids and their log-probs, the actor reading detached features."""
        dist = self.dist(features.detach())
        action = dist.sample()
        return action, dist.log_prob(action)


def test_features_are_the_last_hidden_state_at_the_action_slot(make_model) -> None:
    model = make_model(16, 4)
    net = model.transformer
    seen = {}
    net.ln_f.register_forward_hook(lambda mod, inp, out: seen.update(hidden=out))
    obs, actions = torch.arange(12).view(3, 4) % 16, torch.arange(12).view(3, 4) % 4
    out = net(net.frame_tokens(obs[..., None], actions))
    hidden = seen["hidden"].view(3, 4, net.block_len, net.n_embd)
    assert out.features.shape == (3, 4, net.n_embd)
    torch.testing.assert_close(out.features, hidden[:, :, -1])
    torch.testing.assert_close(net.reward_head(out.features).squeeze(-1), out.reward)
    dist = model.predict_next(obs, actions)  # a 4-frame history: the last frame's features
    assert dist.features.shape == (3, net.n_embd) and dist.features.dtype == torch.float32
    torch.testing.assert_close(dist.features, out.features[:, -1])


def test_imagined_features_are_those_of_the_whole_rollout(make_model) -> None:
    model = make_model(16, 4, max_frames=6)
    start, actions = _rollout_inputs(5)
    out = model.imagine(start, actions, 5, sample=False)
    assert out.features.shape == (5, 5, 64) and out.start_features.shape == (5, 64)
    assert not out.start_features.any()  # no history: zeros
    assert out.state_features.shape == (5, 6, 64)
    torch.testing.assert_close(out.state_features[:, 1:], out.features)
    net = model.transformer
    full = net(net.frame_tokens(out.obs_tokens[:, :-1], out.actions))
    torch.testing.assert_close(out.features, full.features, **TOL)
    torch.testing.assert_close(out.rewards, full.reward, **TOL)


def test_context_start_follows_the_refill_rule() -> None:
    window, lo = 6, 0
    for n in range(1, 40):
        t = n - 1  # the frame just fed
        if t - lo == window:
            lo = t - window // 2
        assert context_start(n, window) == lo, n
    assert [context_start(n, 1) for n in range(1, 5)] == [0, 1, 2, 3]


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("k", [1, 3, 6, 9])  # 6: the history fills the context; 9: past it
def test_imagine_from_a_history_continues_the_rollout_that_fed_it(
    make_model, use_cache: bool, k: int
) -> None:
    model = make_model(16, 4, max_frames=6)
    start, actions = _rollout_inputs(13)
    full = model.imagine(start, actions, 13, sample=False, use_cache=use_cache)
    history = full.obs_tokens[:, : k + 1, 0]  # Discrete observations are their own token
    part = model.imagine(
        history, actions[:, k:], 13 - k, past_actions=actions[:, :k], sample=False,
        use_cache=use_cache,
    )  # fmt: skip
    assert torch.equal(part.obs_tokens, full.obs_tokens[:, k:])
    assert torch.equal(part.actions, full.actions[:, k:])
    torch.testing.assert_close(part.start_features, full.features[:, k - 1], **TOL)
    torch.testing.assert_close(part.features, full.features[:, k:], **TOL)
    torch.testing.assert_close(part.rewards, full.rewards[:, k:], **TOL)
    torch.testing.assert_close(part.entropies, full.entropies[:, k:], **TOL)
    torch.testing.assert_close(part.terminal_probs, full.terminal_probs[:, k:], **TOL)


def test_a_policy_reads_features_and_its_log_probs_are_kept(make_model) -> None:
    model = make_model(16, 4, max_frames=6)
    actor = _Actor(model.transformer.n_embd)
    start, actions = _rollout_inputs(3)
    history, past = torch.stack([start, (start + 1) % 16], 1), actions[:, :1]
    out = model.imagine(history, actor, 8, past_actions=past)
    assert out.log_probs is not None and out.log_probs.shape == (5, 8)
    expected = actor.dist(out.state_features[:, :-1]).log_prob(out.actions)
    torch.testing.assert_close(out.log_probs, expected, **TOL)
    assert torch.equal(out.actions, actor.dist(out.state_features[:, :-1]).probs.argmax(-1))
    plain = model.imagine(history, lambda t, f: actor(t, f)[0], 8, past_actions=past)
    assert plain.log_probs is None


def test_default_imagination_records_no_graph(make_model) -> None:
    model = make_model(16, 4)
    actor = _Actor(model.transformer.n_embd)
    out = model.imagine(torch.arange(5), actor, 4)
    assert not out.features.requires_grad and not out.log_probs.requires_grad
    assert not out.rewards.requires_grad


@pytest.mark.parametrize("horizon", [4, 9])  # 9 > max_frames: the context is refilled
def test_gradients_reach_the_actor_through_the_features(make_model, horizon: int) -> None:
    model = make_model(16, 4, max_frames=6)
    actor = _Actor(model.transformer.n_embd)
    start, actions = _rollout_inputs(2)
    history, past = torch.stack([start, (start + 3) % 16], 1), actions[:, :1]
    grads = []
    for use_cache in (True, False):
        out = model.imagine(
            history, actor, horizon, past_actions=past, sample=False, use_cache=use_cache,
            grad=True,
        )  # fmt: skip
        assert out.features.requires_grad and out.log_probs.requires_grad
        actor.zero_grad()
        out.features[:, -1].square().sum().backward()  # no log-prob in this loss
        grads.append(actor.head.weight.grad.clone())
        model.zero_grad()
    assert grads[0].abs().sum() > 0  # the one-hot actions carried it
    torch.testing.assert_close(grads[0], grads[1], atol=1e-6, rtol=1e-4)  # cache = recompute
    no_grad = model.imagine(history, actor, horizon, past_actions=past, sample=False)
    torch.testing.assert_close(out.features.detach(), no_grad.features, **TOL)


def test_reinforce_gradients_through_log_probs(make_model) -> None:
    model = make_model(16, 4)
    actor = _Actor(model.transformer.n_embd)
    history = torch.stack([torch.arange(5), torch.arange(5) + 1], 1)
    out = model.imagine(
        history, actor.ids, 3, past_actions=torch.zeros(5, 1, dtype=torch.long), grad=True
    )
    (out.log_probs * out.rewards.detach()).sum().backward()
    assert actor.head.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"obs": np.zeros((2, 3), int)}, r"past_actions \(2, 2\)"),
        (
            {"obs": np.zeros((2, 3), int), "past_actions": np.zeros((2, 3), int)},
            r"past_actions must have shape \(2, 2\)",
        ),
        (
            {"obs": np.zeros((2, 3), int), "past_actions": np.full((2, 2), 4)},
            r"past_actions must be integers in \[0, 4\)",
        ),
        ({"obs": np.zeros((2, 3, 1), int)}, "obs must be"),
        ({"policy": lambda t, f: torch.full((2, 4), 0.5)}, "one-hot"),
        ({"policy": lambda t, f: (t[:, 0] % 4, t[:, 0], t)}, "actions, log_probs"),
        ({"policy": lambda t, f: (t[:, 0] % 4, torch.zeros(3))}, r"log_probs must be a \(2,\)"),
        (
            {"policy": lambda t, f: (t[:, 0] % 4, torch.zeros(2)) if f.any() else t[:, 0] % 4},
            "every step or at none",
        ),
    ],
)
def test_bad_histories_and_policies_give_clear_errors(make_model, kwargs: dict, match: str) -> None:
    model = make_model(16, 4)
    obs = kwargs.pop("obs", np.zeros(2, int))
    policy = kwargs.pop("policy", np.zeros((2, 3), int))
    with pytest.raises(InvalidConfigError, match=match):
        model.imagine(obs, policy, 3, **kwargs)
