"""The frontier value: value iteration on the graph of observed frames, toward untried
contexts beyond the search horizon; and the agent that uses it (save/load, determinism)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from stable_baselines3.common.env_util import make_vec_env
from test_lm_search import NEXT, STUB, A, V
from tolerance import F32_ACC

from aisam_agents.errors import CheckpointError
from aisam_agents.learnmax import LearnMax
from aisam_agents.learnmax.counts import N_BUCKETS, ContextCounts
from aisam_agents.learnmax.criteria import information_gain, point_information_gain, step_value
from aisam_agents.learnmax.frontier import FrontierValue
from aisam_agents.learnmax.search import beam_search
from aisam_envs.errors import InvalidConfigError

TABLE = "aisam/TransitionTable-v0"
CPU = torch.device("cpu")


@pytest.mark.parametrize(("vocab", "tokens"), [(6, 1), (200, 1), (16, 3)])
def test_point_information_gain_is_the_one_hot_information_gain(vocab: int, tokens: int):
    counts = torch.tensor([0.0, 1.0, 2.0, 5.0, 30.0, 100.0])
    mode = F.one_hot(torch.tensor(2), vocab).bool().expand(len(counts), tokens, vocab)
    logits = torch.zeros(len(counts), tokens, vocab).masked_fill(~mode, float("-inf"))
    expected = information_gain(logits, counts, 1.0)
    torch.testing.assert_close(point_information_gain(counts, vocab, tokens, 1.0), expected,
                               rtol=1e-4, atol=1e-6)  # fmt: skip


def _stub_graph(
    untried: tuple[int, int], discount: float = 0.9, sweeps: int = 200
) -> tuple[ContextCounts, FrontierValue]:
    """The stub world of test_lm_search (NEXT) with every context tried 50 times and its
    successor observed, but ``untried``, then ``sweeps`` sweeps."""
    counts = ContextCounts(1, seed=0, device=CPU)
    frontier = FrontierValue(counts, A, V, 1, 1.0, discount, sweeps)
    pairs = [(s, a) for s in range(V) for a in range(A) if (s, a) != untried]
    states = torch.tensor([[s] for s, _ in pairs])
    actions = torch.tensor([a for _, a in pairs])
    for _ in range(50):
        counts.add(states, actions)
    frontier.observe(states, actions, torch.tensor([[NEXT[s, a]] for s, a in pairs]))
    frontier.update()
    return counts, frontier


def _exact_values(untried: tuple[int, int], discount: float) -> np.ndarray:
    """The same value iteration in float64 numpy, run to convergence."""
    u = np.full((V, A), float(point_information_gain(torch.tensor(50.0), V, 1, 1.0)))
    u[untried] = float(point_information_gain(torch.tensor(0.0), V, 1, 1.0))
    values = np.zeros(V)
    for _ in range(2000):
        after = discount * values[NEXT]
        after[untried] = 0.0
        values = (u + after).max(1)
    return values


def test_the_frontier_value_is_value_iteration_on_the_observed_graph() -> None:
    counts, frontier = _stub_graph(untried=(5, 0))
    frames = torch.arange(V)[:, None]
    values = frontier(frames)
    expected = torch.tensor(_exact_values((5, 0), 0.9), dtype=torch.float32)
    torch.testing.assert_close(values, expected, **F32_ACC)
    unseen = point_information_gain(torch.tensor(0.0), V, 1, 1.0)
    assert float(values[5]) == pytest.approx(float(unseen))  # the untried context
    # a frame never observed is all untried contexts
    torch.testing.assert_close(frontier(torch.tensor([[V + 3]])), unseen.view(1))
    assert frontier.size == V and bool((frontier.successors >= 0).sum() == V * A - 1)


@pytest.mark.parametrize(("untried", "toward"), [((5, 0), 1), ((3, 1), 2), ((1, 2), 0)])
def test_it_leads_the_search_to_an_untried_context_beyond_the_horizon(
    untried: tuple[int, int], toward: int
) -> None:
    """From state 0 every context within one step was tried 50 times, so a one-step search
    sees equal gains; the untried context is two or three steps away (5, 0): 0 -> 2 -> 5;
    (3, 1): 0 -> 3; (1, 2): 0 -> 1). The frontier value takes the branch toward it, whatever
    the tie-breaking noise, and the branch is worth its gain plus the discounted value."""
    counts, frontier = _stub_graph(untried)

    def score(d, frame, act, t):
        return step_value("infogain", d, None, counts(frame, act))

    start, past = torch.tensor([[[0]]]), torch.zeros(1, 0, dtype=torch.long)
    gain = float(point_information_gain(torch.tensor(50.0), V, 1, 1.0))
    after = float(frontier(torch.tensor([[NEXT[0, toward]]])))
    for seed in range(8):
        noise = torch.rand(1, 3 * A, generator=torch.Generator().manual_seed(seed))
        out = beam_search(STUB, start, past, 1, 3, score, noise,
                          lambda f, t: 0.9 * frontier(t), 0.9)  # fmt: skip
        assert out.actions.tolist() == [toward]
        assert float(out.values) == pytest.approx(gain + 0.9 * after, rel=1e-4)
    # once every context is tried, the three branches are worth the same
    _, frontier = _stub_graph(untried=(V, 0))
    values = frontier(torch.tensor([[1], [2], [3]]))
    torch.testing.assert_close(values, values[:1].expand(3), **F32_ACC)


def test_branches_continue_from_observed_successors() -> None:
    """The stub model says (0, 0) -> 1; the graph saw (0, 0) -> 5. A search given the
    graph's successors scores its second step from state 5, elsewhere from the model's."""
    counts = ContextCounts(1, seed=0, device=CPU)
    frontier = FrontierValue(counts, A, V, 1, 1.0, 0.9, 1)
    frontier.observe(torch.tensor([[0]]), torch.tensor([0]), torch.tensor([[5]]))
    observed, known = frontier.successor(torch.tensor([[0], [0], [2], [9]]),
                                         torch.tensor([0, 1, 0, 0]))  # fmt: skip
    assert known.tolist() == [True, False, False, False] and int(observed[0, 0]) == 5

    def score(d, frame, act, t):  # 1 for a step taken in state 5
        return (frame[:, 0] == 5).float()

    start, past = torch.tensor([[[0]]]), torch.zeros(1, 0, dtype=torch.long)
    noise = torch.zeros(1, 3 * A)
    out = beam_search(STUB, start, past, 2, 3, score, noise, successor=frontier.successor)
    assert out.actions.tolist() == [0] and out.step_values.tolist() == [[0.0, 1.0]]
    out = beam_search(STUB, start, past, 2, 3, score, noise)
    assert float(out.values) == 0.0  # the model's branches never reach state 5 in 2 steps


def test_values_travel_one_step_per_sweep() -> None:
    """New frames start at u(0). One sweep from there gives every state of the stub the
    same value but state 5, whose context (5, 0) is untried; after two sweeps state 2, one
    step before state 5, is worth more than state 1, two steps before it."""
    _, once = _stub_graph(untried=(5, 0), sweeps=1)
    _, twice = _stub_graph(untried=(5, 0), sweeps=2)
    v1 = once(torch.arange(V)[:, None])
    assert float(v1[0]) == pytest.approx(float(v1[1])) and float(v1[5]) > float(v1[4])
    v2 = twice(torch.arange(V)[:, None])
    assert float(v2[2]) > float(v2[1])


def _agent(env=None, **kwargs) -> LearnMax:
    kwargs = {"seed": 0, "device": "cpu", "learning_starts": 16, "batch_size": 8,
              "leaf_value": "frontier", "discount": 0.95, **kwargs}  # fmt: skip
    return LearnMax("auto", env or gym.make(TABLE, n_states=32, n_actions=3), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"criterion": "entropy"},
        {"criterion": "disagreement"},
        {"discount": 1.0},
        {"leaf_value": "graph"},
        {"leaf_value": 1},
        {"frontier_sweeps": 0},
    ],
)
def test_bad_frontier_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(InvalidConfigError):
        _agent(**kwargs)


def test_the_agent_records_the_true_successors_of_a_deterministic_table() -> None:
    """Every successor the graph holds is the table's; the search's leaf is the discounted
    value of the frame it is given, keyed by the same tokens as the real frames."""
    venv = make_vec_env(TABLE, 2, seed=0, env_kwargs={"n_states": 32, "n_actions": 3})
    a = _agent(venv).learn(200)
    truth, f = venv.envs[0].unwrapped.table, a.frontier
    assert f is not None and 5 < f.size <= 32
    tokens = a.model.tokenize(np.arange(32))
    rows = f.index[a.counts.frame_hash(tokens) % N_BUCKETS].long()  # (32,) -1: not held
    state_of_row = {int(r): s for s, r in enumerate(rows.tolist()) if r >= 0}
    recorded = 0
    for state in np.flatnonzero(rows.numpy() >= 0):
        for action in range(3):
            successor = int(f.successors[rows[state], action])
            if successor >= 0:
                assert state_of_row[successor] == truth.next_states[state, action, 0]
                recorded += 1
    assert recorded > 10
    torch.testing.assert_close(a._leaf()(None, tokens), 0.95 * f(tokens))


def test_frontier_agents_are_deterministic_and_survive_save_load(tmp_path) -> None:
    a, b = _agent(seed=3).learn(150), _agent(seed=3).learn(150)
    for name in ("buckets", "contexts", "successors", "values"):
        assert torch.equal(getattr(a.frontier, name), getattr(b.frontier, name))
    obs = np.arange(10)
    assert np.array_equal(a.predict(obs)[0], b.predict(obs)[0])
    path = tmp_path / "lm.pt"
    a.save(path)
    c = LearnMax.load(path, env=gym.make(TABLE, n_states=32, n_actions=3), device="cpu")
    assert c.params["leaf_value"] == "frontier" and c.frontier.size == a.frontier.size
    frames = a.model.tokenize(np.arange(32))
    torch.testing.assert_close(c.frontier(frames), a.frontier(frames), rtol=0, atol=0)
    assert np.array_equal(c.predict(obs, deterministic=True)[0],
                          a.predict(obs, deterministic=True)[0])  # fmt: skip
    assert c.learn(50, reset_num_timesteps=False).frontier.size >= a.frontier.size
    payload = torch.load(path, weights_only=True)
    payload["version"] = 2
    torch.save(payload, tmp_path / "v2.pt")
    with pytest.raises(CheckpointError, match="version 2; this aisam reads 3"):
        LearnMax.load(tmp_path / "v2.pt", device="cpu")
