"""λ-returns, symlog two-hot targets and the percentile return normaliser."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aisam_agents.ponder_dreamer import PercentileNormalizer, TwoHot, lambda_returns, symexp, symlog
from aisam_agents.ponder_dreamer.returns import centred_bonus
from aisam_envs.errors import InvalidConfigError


def test_lambda_returns_match_a_hand_computation() -> None:
    rewards = torch.tensor([[1.0, 0.0, 2.0]])
    continues = torch.tensor([[1.0, 0.5, 1.0]])
    values = torch.tensor([[0.0, 4.0, 2.0, 10.0]])
    gamma, lam = 0.9, 0.5
    # R_3 = v_3 = 10; R_h = r_h + γ c_h ((1 - λ) v_{h+1} + λ R_{h+1})
    r2 = 2.0 + 0.9 * 1.0 * (0.5 * 10.0 + 0.5 * 10.0)  # 11.0
    r1 = 0.0 + 0.9 * 0.5 * (0.5 * 2.0 + 0.5 * r2)  # 2.925
    r0 = 1.0 + 0.9 * 1.0 * (0.5 * 4.0 + 0.5 * r1)  # 4.11625
    out = lambda_returns(rewards, continues, values, gamma, lam)
    np.testing.assert_allclose(out.numpy(), [[r0, r1, r2]], rtol=1e-6)


def test_lambda_returns_limits() -> None:
    rewards, values = torch.rand(2, 5), torch.rand(2, 6)
    ones = torch.ones(2, 5)
    td = lambda_returns(rewards, ones, values, 0.9, 0.0)
    torch.testing.assert_close(td, rewards + 0.9 * values[:, 1:])
    mc = lambda_returns(rewards, ones, values, 1.0, 1.0)
    torch.testing.assert_close(mc[:, 0], rewards.sum(1) + values[:, -1])
    with pytest.raises(InvalidConfigError, match="values"):
        lambda_returns(rewards, ones, values[:, :5], 0.9, 0.9)


def test_centred_bonus_takes_out_the_mean_over_live_steps() -> None:
    bonus = torch.tensor([[1.0, 3.0, 100.0], [2.0, 2.0, 2.0]])
    alive = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    out = centred_bonus(bonus, alive)
    torch.testing.assert_close(out, bonus - 2.0)  # (1 + 3 + 2 + 2 + 2) / 5: the dead step not
    assert float((alive * out).sum()) == pytest.approx(0.0, abs=1e-5)
    torch.testing.assert_close(centred_bonus(torch.full((2, 4), 0.7), torch.ones(2, 4)),
                               torch.zeros(2, 4))  # fmt: skip


def test_a_reward_that_ends_the_episode_beats_wandering_for_bonus() -> None:
    """Row 0 takes the task's reward and ends; row 1 wanders on with the same bonus at every
    step. Paid as is, the bonus makes wandering the better return; centred, the reward wins."""
    h, gamma, lam = 15, 0.997, 0.95
    rewards = torch.zeros(2, h)
    rewards[0, 0] = 1.0
    continues = torch.ones(2, h)
    continues[0, 0] = 0.0
    alive = torch.cumprod(torch.cat([torch.ones(2, 1), continues[:, :-1]], 1), 1)
    bonus, values = torch.full((2, h), 0.5), torch.zeros(2, h + 1)
    raw = lambda_returns(rewards + bonus, continues, values, gamma, lam)[:, 0]
    centred = lambda_returns(rewards + centred_bonus(bonus, alive), continues, values, gamma, lam)
    assert raw[1] > raw[0] and centred[0, 0] > centred[1, 0]


def test_symlog_two_hot_round_trip() -> None:
    y = torch.tensor([-1000.0, -3.5, -1.0, 0.0, 0.2, 1.0, 7.0, 12345.0])
    torch.testing.assert_close(symexp(symlog(y)), y, rtol=1e-5, atol=1e-6)
    two_hot = TwoHot(255)
    target = two_hot.encode(y)
    assert target.shape == (8, 255)
    torch.testing.assert_close(target.sum(-1), torch.ones(8))
    assert ((target > 0).sum(-1) <= 2).all()
    # the expected bin of the two-hot vector is symlog(y): logits = log(weights) decode to y
    decoded = two_hot.decode(torch.log(target.clamp_min(1e-30)))
    torch.testing.assert_close(decoded, y, rtol=1e-4, atol=1e-5)
    # the cross-entropy is smallest at the target's own distribution
    logits = torch.log(target.clamp_min(1e-30))
    assert (two_hot.loss(logits, y) <= two_hot.loss(torch.zeros_like(logits), y)).all()


def test_percentile_normalizer_tracks_the_5_95_range_with_an_ema() -> None:
    norm = PercentileNormalizer(rate=0.5, floor=1.0)
    returns = torch.arange(101, dtype=torch.float32)  # 5th percentile 5, 95th 95
    norm.update(returns)
    torch.testing.assert_close(norm.lo, torch.tensor(2.5))
    torch.testing.assert_close(norm.hi, torch.tensor(47.5))
    torch.testing.assert_close(norm.scale, torch.tensor(45.0))
    norm.update(returns)
    torch.testing.assert_close(norm.scale, torch.tensor(67.5))
    small = PercentileNormalizer(rate=1.0)
    small.update(torch.linspace(0, 0.1, 11))
    assert float(small.scale) == 1.0  # the floor: small returns are not amplified
    with pytest.raises(InvalidConfigError):
        PercentileNormalizer(rate=0.0)


def test_episode_masks_cut_windows_at_episode_starts() -> None:
    from aisam_agents.ponder_dreamer.training import episode_masks

    is_first = torch.tensor(
        [
            [False, False, False, False, False],  # no start inside: all 4 transitions count
            [True, False, False, True, False],  # new episode at 3: transition 2 ended one
            [False, True, False, True, False],  # the first start inside (1) decides
            [False, False, False, False, True],  # the last transition ended an episode
        ]
    )
    mask, obs_mask = episode_masks(is_first)
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert obs_mask.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 0]]
