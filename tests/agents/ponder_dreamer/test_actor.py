"""The halting-weighted actor loss, the actors' sizes and the gradient path to the actor."""

from __future__ import annotations

import math

import numpy as np
import torch

from aisam_agents.ponder.module import halting_trace
from aisam_agents.ponder_dreamer import MlpActor, PonderActor, actor_loss
from aisam_agents.ponder_dreamer.networks import ActorSteps, count_params, mlp_width


def test_halting_weighted_actor_loss_matches_a_hand_computation() -> None:
    # two ponder steps, one state, two actions; λ_1 = 0.5 so p = (0.5, 0.5) (remainder folded)
    logits = torch.tensor([[[0.0, 0.0]], [[math.log(3.0), 0.0]]])  # π_1 = (.5,.5), π_2 = (.75,.25)
    trace = halting_trace(torch.zeros(2, 1, 1), torch.zeros(2, 1), halt_epsilon=0.0)
    steps = ActorSteps(logits, trace)
    adv, w, eta, lam_p, beta = 2.0, 0.5, 0.1, 0.25, 0.01
    out = actor_loss(
        steps, torch.tensor([0]), torch.tensor([adv]), torch.tensor([w]), eta, lam_p, beta
    )
    h1 = math.log(2.0)
    h2 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    l1 = w * (-adv * math.log(0.5) - eta * h1)
    l2 = w * (-adv * math.log(0.75) - eta * h2)
    prior = [lam_p, 1 - lam_p]  # truncated geometric, remainder on the last step
    kl = sum(0.5 * math.log(0.5 / q) for q in prior)
    np.testing.assert_allclose(float(out.policy), 0.5 * l1 + 0.5 * l2, rtol=1e-6)
    np.testing.assert_allclose(float(out.kl), kl, rtol=1e-6)
    np.testing.assert_allclose(float(out.total), 0.5 * l1 + 0.5 * l2 + beta * kl, rtol=1e-6)
    np.testing.assert_allclose(float(out.expected_steps), 1.5, rtol=1e-6)


def _halting_gradient(step_logits: torch.Tensor, adv: float) -> torch.Tensor:
    """d(policy loss)/d(halting logits) of one state, two ponder steps, action 0, η = 0."""
    halt = torch.zeros(2, 1, requires_grad=True)
    trace = halting_trace(torch.zeros(2, 1, 1), halt, halt_epsilon=0.0)
    out = actor_loss(
        ActorSteps(step_logits, trace),
        torch.tensor([0]),
        torch.tensor([adv]),
        torch.ones(1),
        0.0,
        0.5,
        0.0,
    )
    (grad,) = torch.autograd.grad(out.policy, halt)
    return grad[:, 0]


def test_halting_gradient_is_proportional_to_how_much_the_step_policies_differ() -> None:
    # The halting distribution learns from the policy term only through differences between
    # the steps' log π_n(a): with A > 0, halting earlier is favoured when step 1 puts more
    # probability on the action; with A < 0, the reverse; with equal step policies, nothing
    # (the cause of the prior-shaped halting in the study, docs/ponder_dreamer.md).
    step_1_better = torch.tensor([[[math.log(3.0), 0.0]], [[0.0, 0.0]]])
    grad = _halting_gradient(step_1_better, 1.0)
    assert float(grad[0]) < 0.0  # descending raises λ_1: halt at step 1 more often
    # p_1 = λ_1, so dL/dz_1 = λ_1 (1 - λ_1) (L_1 - L_2) with L_n = -A log π_n(a)
    np.testing.assert_allclose(float(grad[0]), 0.25 * (math.log(0.5) - math.log(0.75)), rtol=1e-6)
    assert float(_halting_gradient(step_1_better, -1.0)[0]) > 0.0
    same = torch.tensor([[[math.log(3.0), 0.0]], [[math.log(3.0), 0.0]]])
    assert float(_halting_gradient(same, 1.0).abs().max()) == 0.0


def test_mlp_actor_loss_is_plain_reinforce_with_entropy() -> None:
    logits = torch.tensor([[[0.0, math.log(3.0)]]])
    out = actor_loss(
        ActorSteps(logits, None),
        torch.tensor([1]),
        torch.tensor([-1.0]),
        torch.ones(1),
        0.1,
        0.2,
        0.3,
    )
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    np.testing.assert_allclose(float(out.total), math.log(0.75) - 0.1 * h, rtol=1e-6)
    assert float(out.kl) == 0.0 and float(out.expected_steps) == 1.0


def test_mlp_actor_has_the_ponder_actors_parameter_count() -> None:
    for input_dim, n_actions, hidden, steps in ((128, 3, 32, 8), (1088, 2, 32, 8), (64, 6, 16, 4)):
        ponder = PonderActor(input_dim, n_actions, hidden, steps)
        n = count_params(ponder)
        mlp = MlpActor(input_dim, n_actions, mlp_width(input_dim, n_actions, n))
        assert abs(count_params(mlp) - n) <= (input_dim + 1 + n_actions) / 2


def test_ponder_actor_acts_from_the_mixture_and_deterministically() -> None:
    torch.manual_seed(0)
    actor = PonderActor(8, 3, 8, 5)
    x = torch.randn(6, 8)
    steps = actor(x)
    assert steps.logits.shape[1:] == (6, 3) and steps.trace is not None
    a1 = steps.act(True, None)
    torch.testing.assert_close(a1, actor(x).act(True, None))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    torch.testing.assert_close(steps.act(False, g1), steps.act(False, g2))


def test_gradient_reaches_the_actor_in_training(make_agent) -> None:
    agent = make_agent(intrinsic_coef=1.0)
    agent.learn(24)  # past learning_starts, so the replay has windows
    before = [p.detach().clone() for p in agent.policy.actor.parameters()]
    critic_before = [p.detach().clone() for p in agent.policy.critic.parameters()]
    agent.train()
    grads = [p.grad for p in agent.policy.actor.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    moved = [
        not torch.equal(a, p) for a, p in zip(before, agent.policy.actor.parameters(), strict=True)
    ]
    assert any(moved)
    assert any(
        not torch.equal(a, p)
        for a, p in zip(critic_before, agent.policy.critic.parameters(), strict=True)
    )
    # the actor-critic's inputs carry no gradient into the world model
    tokens = torch.zeros(2, 1, dtype=torch.long)
    features = torch.zeros(2, agent.world_model.config.n_embd, requires_grad=True)
    assert not agent.state_inputs(tokens, features).requires_grad
