"""Block-causal attention, the KV cache, and cached versus uncached imagination."""

from __future__ import annotations

import pytest
import torch

from aisam_agents.world_model.transformer import WorldTransformer, block_causal_mask


def _net(t: int = 3, frames: int = 6) -> WorldTransformer:
    torch.manual_seed(0)
    return WorldTransformer(
        obs_vocab=11,
        n_actions=4,
        tokens_per_frame=t,
        max_frames=frames,
        n_layer=2,
        n_head=2,
        n_embd=32,
    ).eval()


def _frames(net: WorldTransformer, b: int, f: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    obs = torch.randint(0, net.obs_vocab, (b, f, net.tokens_per_frame), generator=g)
    return net.frame_tokens(obs, torch.randint(0, net.n_actions, (b, f), generator=g))


def test_mask_is_block_causal() -> None:
    mask = block_causal_mask(0, 6, 3, torch.device("cpu"))
    expected = torch.tensor([[1, 1, 1, 0, 0, 0]] * 3 + [[1] * 6] * 3, dtype=torch.bool)
    assert torch.equal(mask, expected)
    assert block_causal_mask(3, 3, 3, torch.device("cpu")) is None  # one whole block


def test_outputs_see_their_block_and_the_past_only() -> None:
    net = _net()
    frames = _frames(net, 2, 4)
    base = net(frames)[0]
    later = frames.clone()
    later[:, 2, 0] = (later[:, 2, 0] + 1) % net.obs_vocab  # change frame 2's first token
    out = net(later)[0]
    torch.testing.assert_close(out[:, :2], base[:, :2])  # frames 0, 1 unaffected
    assert not torch.allclose(out[:, 2], base[:, 2])  # frame 2 (all its slots) affected
    action = frames.clone()
    action[:, 1, -1] = net.obs_vocab + (action[:, 1, -1] - net.obs_vocab + 1) % net.n_actions
    out = net(action)[0]
    assert not torch.allclose(out[:, 1], base[:, 1])  # observation slots see the action


def test_kv_cache_matches_full_forward() -> None:
    net = _net()
    frames = _frames(net, 3, 5)
    full_logits, full_reward, full_term, full_features = net(frames)
    cache = net.new_cache(3, torch.device("cpu"), torch.float32)
    net(frames[:, :2], 0, cache)  # prefill two frames at once, then one at a time
    torch.testing.assert_close(net(frames[:, 2:3], 2, cache)[0][:, 0], full_logits[:, 2])
    for f in (3, 4):
        logits, reward, term, features = net(frames[:, f : f + 1], f, cache)
        torch.testing.assert_close(logits[:, 0], full_logits[:, f], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(features[:, 0], full_features[:, f], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(reward[:, 0], full_reward[:, f], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(term[:, 0], full_term[:, f], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="max_frames"):
        net(frames[:, :2], 5, cache)


@pytest.mark.parametrize("horizon", [4, 13])  # 13 > max_frames: the context is refilled
def test_imagination_with_and_without_cache_agree(make_model, horizon: int) -> None:
    model = make_model(n_states=16, n_actions=4, max_frames=6)
    start = torch.arange(5) % 16
    actions = torch.arange(5 * horizon).view(5, horizon) % 4
    fast = model.imagine(start, actions, horizon, sample=False, use_cache=True)
    slow = model.imagine(start, actions, horizon, sample=False, use_cache=False)
    assert torch.equal(fast.obs_tokens, slow.obs_tokens)
    torch.testing.assert_close(fast.entropies, slow.entropies, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast.rewards, slow.rewards, atol=1e-5, rtol=1e-5)
    assert fast.obs_tokens.shape == (5, horizon + 1, 1)
    assert torch.equal(fast.actions, actions)
