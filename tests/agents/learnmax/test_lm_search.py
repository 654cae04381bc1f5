"""The batched beam search: it finds the branch of highest expected learning."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from gymnasium import spaces
from tolerance import F32_ACC

from aisam_agents.learnmax.criteria import step_value, token_entropy
from aisam_agents.learnmax.search import SearchResult, beam_search
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.imagination import NextFrameDistribution
from aisam_agents.world_model.transformer import KVCache, WorldOutput

V, A = 6, 3
# hand-built world: NEXT[s, a] is the next state, NOISE[s, a] the weight of the uniform
# part of p(next | s, a) (its entropy grows with it)
NEXT = np.array([[1, 2, 3], [4, 4, 4], [4, 5, 4], [4, 4, 4], [4, 4, 4], [4, 4, 4]])
NOISE = np.zeros((V, A))
NOISE[0] = [0.5, 0.3, 0.05]  # greedy one step ahead: action 0
NOISE[2, 1] = 0.9  # ... but action 1 leads to the most uncertain next step


class StubNet(torch.nn.Module):
    """A world transformer whose predictions are the tables above (history ignored)."""

    obs_vocab, n_actions, n_embd, max_frames = V, A, V, 8  # features: one-hot next state
    block_len = 2

    def frame_tokens(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs, (actions.long() + V)[..., None]], dim=-1)

    def new_cache(
        self, batch: int, device: torch.device, dtype: torch.dtype, frames: int | None = None
    ) -> KVCache:
        frames = self.max_frames if frames is None else frames
        return KVCache.empty(1, batch, 1, frames * self.block_len, 1, device, dtype)

    def forward(self, frames: torch.Tensor, start: int = 0, cache: KVCache | None = None):
        b, f, _ = frames.shape
        s, a = frames[:, -1, 0].numpy(), frames[:, -1, 1].numpy() - V
        w = torch.as_tensor(NOISE[s, a], dtype=torch.float32)[:, None]
        p = (1 - w) * torch.nn.functional.one_hot(torch.as_tensor(NEXT[s, a]), V) + w / V
        logits = p.clamp_min(1e-6).log().view(b, 1, 1, V).expand(b, f, 1, V)
        if cache is not None:
            cache.length += f * 2
        zeros = torch.zeros(b, f)
        nxt = torch.nn.functional.one_hot(torch.as_tensor(NEXT[s, a]), V).float()
        return WorldOutput(logits, zeros, zeros, nxt[:, None].expand(b, f, V))


STUB = SimpleNamespace(
    transformer=StubNet(), config=SimpleNamespace(autocast=False), device=torch.device("cpu")
)


def entropy(s: int, a: int) -> float:
    p = (1 - NOISE[s, a]) * np.eye(V)[NEXT[s, a]] + NOISE[s, a] / V
    return float(
        token_entropy(torch.tensor(np.log(np.maximum(p, 1e-6)), dtype=torch.float32).view(1, 1, V))
    )


def search(start: list[int], horizon: int, width: int, criterion: str = "entropy", **kw):
    tokens = torch.tensor(start)[:, None, None]
    past = torch.zeros(len(start), 0, dtype=torch.long)
    noise = torch.rand(len(start), width * A, generator=torch.Generator().manual_seed(0))
    return beam_search(
        STUB,
        tokens,
        past,
        horizon,
        width,
        lambda d, c, a, t: step_value(criterion, d),
        noise,
        **kw,
    )


def test_picks_the_branch_of_highest_summed_entropy() -> None:
    out = search([0], horizon=2, width=3)
    assert out.actions.tolist() == [1]
    expected = entropy(0, 1) + entropy(2, 1)
    np.testing.assert_allclose(out.values.numpy(), [expected], rtol=1e-5)
    np.testing.assert_allclose(out.step_values.numpy(), [[entropy(0, 1), entropy(2, 1)]], rtol=1e-5)
    assert out.transitions == A + 3 * A


def test_one_step_or_one_branch_is_greedy() -> None:
    assert search([0], horizon=1, width=3).actions.tolist() == [0]
    assert search([0], horizon=2, width=1).actions.tolist() == [0]  # the beam drops branch 1


def test_reverse_picks_the_best_understood_branch_and_envs_search_independently() -> None:
    assert search([0], horizon=2, width=3, criterion="reverse").actions.tolist() == [2]
    out = search([0, 2, 0], horizon=2, width=3)
    assert out.actions.tolist() == [1, 1, 1]
    np.testing.assert_allclose(out.values[0], out.values[2], rtol=1e-6)


def test_a_leaf_value_sees_past_the_horizon_and_discounts_apply() -> None:
    """A value of 10 after entering state 3 (action 2 from state 0) outweighs the entropy
    within the horizon; the branch's value is its discounted scores plus that value."""
    leaf = torch.zeros(V)
    leaf[3] = 10.0
    out = search([0], horizon=1, width=3, leaf_value=lambda f, t: f @ leaf, discount=0.5)
    assert out.actions.tolist() == [2]
    np.testing.assert_allclose(out.values.numpy(), [entropy(0, 2) + 10.0], rtol=1e-5)
    assert out.first_features.argmax(1).tolist() == [3]
    out = search([0], horizon=2, width=3, discount=0.5)
    expected = entropy(0, 1) + 0.5 * entropy(2, 1)
    np.testing.assert_allclose(out.values.numpy(), [expected], rtol=1e-5)


@pytest.mark.parametrize("history", [1, 3])
def test_full_width_search_equals_exhaustive_imagination(history: int) -> None:
    """With every branch kept, the cached search's best value is the best over all action
    sequences rolled out by ``imagine`` (most likely next states)."""
    torch.manual_seed(0)
    model = WorldModel(spaces.Discrete(10), spaces.Discrete(3), WorldModelConfig(device="cpu"))
    n, horizon = 2, 3
    obs = torch.randint(0, 10, (n, history))
    past = torch.randint(0, 3, (n, history - 1))
    noise = torch.zeros(n, 9 * 3)
    tokens = model.tokenize(obs)
    out = beam_search(
        model, tokens, past, horizon, 9, lambda d, c, a, t: step_value("entropy", d), noise
    )
    seqs = torch.tensor(list(itertools.product(range(3), repeat=horizon)))
    totals = []
    for i in range(n):
        starts = obs[i : i + 1].expand(len(seqs), -1)
        before = past[i : i + 1].expand(len(seqs), -1)
        im = model.imagine(starts, seqs, horizon, past_actions=before, sample=False)
        totals.append(im.entropies.sum(1))
    totals = torch.stack(totals)
    np.testing.assert_allclose(out.values.numpy(), totals.amax(1).numpy(), rtol=1e-4)
    assert out.actions.tolist() == seqs[totals.argmax(1), 0].tolist()


def full_copy_search(
    model: WorldModel,
    tokens: torch.Tensor,
    past: torch.Tensor,
    horizon: int,
    width: int,
    score: Callable,
    noise: torch.Tensor,
    leaf_value: Callable | None,
    discount: float,
) -> SearchResult:
    """The straightforward search: every child gets its own full copy of the KV cache
    (its history and its parent's imagined frames), fed one frame at a time."""
    net = model.transformer
    n, c, _ = tokens.shape
    cache = net.new_cache(n, tokens.device, torch.float32)
    if c > 1:
        net(net.frame_tokens(tokens[:, :-1], past), 0, cache)
    current, branches, transitions = tokens[:, -1], 1, 0
    actions_of = torch.arange(net.n_actions)
    # per branch: first action, first features, step scores, discounted sum, leaf value
    first = first_feat = steps = total = leaf = None
    for depth in range(horizon):
        rows = torch.arange(n * branches).repeat_interleave(net.n_actions)
        actions = actions_of.repeat(n * branches)
        cache = KVCache(cache.k[:, rows], cache.v[:, rows], cache.length)
        out = net(net.frame_tokens(current[rows][:, None], actions[:, None]), c - 1 + depth, cache)
        dist = NextFrameDistribution.last_frame(out)
        nxt = dist.logits.argmax(-1)
        value = score(dist, current[rows], actions, nxt).float()
        transitions += len(rows)
        if depth == 0:
            first, first_feat, steps, total = actions, dist.features, value[:, None], value
        else:
            first, first_feat = first[rows], first_feat[rows]
            steps = torch.cat([steps[rows], value[:, None]], 1)
            total = total[rows] + discount**depth * value
        leaf = torch.zeros_like(total)
        if leaf_value is not None:
            leaf = discount**depth * leaf_value(dist.features, nxt).float()
        per_env = branches * net.n_actions
        keep = min(width, per_env)
        noisy = (total + leaf).view(n, per_env) + 1e-6 * noise[:, :per_env]
        chosen = (noisy.topk(keep, 1).indices + torch.arange(n)[:, None] * per_env).reshape(-1)
        cache = KVCache(cache.k[:, chosen], cache.v[:, chosen], cache.length)
        current, branches = nxt[chosen], keep
        first, first_feat, steps = first[chosen], first_feat[chosen], steps[chosen]
        total, leaf = total[chosen], leaf[chosen]
    best = (total + leaf).view(n, branches).argmax(1) + torch.arange(n) * branches
    return SearchResult(first[best], (total + leaf)[best], steps[best], first_feat[best],
                        transitions)  # fmt: skip


def _image_model(n_actions: int) -> WorldModel:
    """A small model of the base preset's shape: image frames of 4 x 4 VQ tokens."""
    torch.manual_seed(0)
    config = WorldModelConfig(
        n_layer=2, n_head=2, n_embd=32, max_frames=8, codebook_size=16, code_dim=8,
        image_size=16, grid_size=4, vq_channels=8, vq_hidden=16, device="cpu",
    )  # fmt: skip
    return WorldModel(spaces.Box(0, 255, (24, 20, 3), np.uint8), spaces.Discrete(n_actions), config)


@pytest.mark.parametrize(
    ("obs", "history", "horizon", "width"),
    [("table", 1, 3, 2), ("table", 3, 4, 5), ("image", 1, 4, 3), ("image", 3, 3, 8)],
)
def test_shared_history_search_equals_full_copy_search(
    obs: str, history: int, horizon: int, width: int
) -> None:
    """The search over a cache that shares each env's history gives the actions, values,
    step values and features of the search that copies the whole cache for every child."""
    n, n_actions = 3, 4
    g = torch.Generator().manual_seed(history + horizon)
    if obs == "table":
        model = WorldModel(spaces.Discrete(12), spaces.Discrete(n_actions),
                           WorldModelConfig.preset("tiny", device="cpu"))  # fmt: skip
        frames = torch.randint(0, 12, (n, history), generator=g)
    else:
        model = _image_model(n_actions)
        frames = torch.randint(0, 256, (n, history, 24, 20, 3), generator=g, dtype=torch.uint8)
    model.eval()
    tokens = model.tokenize(frames)
    past = torch.randint(0, n_actions, (n, history - 1), generator=g)
    noise = torch.rand(n, width * n_actions, generator=g)
    leaf = torch.randn(model.transformer.n_embd, generator=g)
    args = (model, tokens, past, horizon, width, lambda d, c, a, t: step_value("entropy", d, None),
            noise, lambda f, t: f @ leaf, 0.9)  # fmt: skip
    with torch.no_grad():
        expected = full_copy_search(*args)
    out = beam_search(*args)
    assert out.actions.tolist() == expected.actions.tolist()
    assert out.transitions == expected.transitions
    for name in ("values", "step_values", "first_features"):
        torch.testing.assert_close(getattr(out, name), getattr(expected, name), **F32_ACC)
