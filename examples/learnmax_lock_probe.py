"""How far LearnMax gets on the study's `lock` table (200 x 3), and what its model and counts
say about the chain it found: states found after ``--steps`` env steps for the given
LearnMax keywords, then per state of the chain the true successors, the model's most likely
successors and the visit counts of the three actions.

    python examples/learnmax_lock_probe.py --steps 3000
    python examples/learnmax_lock_probe.py --steps 3000 --kwargs '{"width": 27}'
    python examples/learnmax_lock_probe.py --steps 20000 --kwargs \
        '{"leaf_value": "frontier", "discount": 0.99, "epsilon": 0.0, "prior_count": 0.01}'
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from learnmax_study import N_ENVS, TRAIN_RATIO, Probe, make_env

from aisam_agents.learnmax import LearnMax
from aisam_agents.world_model import WorldModelConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kwargs", default="{}", help="LearnMax keywords as JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    venv = make_env("lock", N_ENVS, args.seed)
    truth = venv.envs[0].unwrapped.table
    config = WorldModelConfig.preset("tiny", device="cpu", seed=args.seed)
    kwargs = {"seed": args.seed, "device": "cpu", "train_ratio": TRAIN_RATIO}
    agent = LearnMax("auto", venv, config, **{**kwargs, **json.loads(args.kwargs)})
    probe = Probe({}, agent.model, None, truth, 10**12, print, 0)
    start = time.time()
    agent.learn(args.steps, callback=probe)
    found = int(probe.seen.sum())
    print(f"states found {found} after {args.steps} env steps ({time.time() - start:.0f} s)")
    s, a = truth.n_states, truth.n_actions
    states, actions = np.repeat(np.arange(s), a), np.tile(np.arange(a), s)
    pred = agent.model.predict_next(states, actions).logits[:, 0].argmax(-1).view(s, a)
    counts = np.zeros((s, a), dtype=int)
    if agent.counts is not None:
        tokens = agent.model.tokenize(states)
        counts = agent.counts(tokens, torch.as_tensor(actions)).view(s, a).int().numpy()
    for state in range(min(found + 2, s)):
        print(f"{state:3d} true {truth.next_states[state, :, 0].tolist()} "
              f"model {pred[state].tolist()} visits {counts[state].tolist()}")  # fmt: skip


if __name__ == "__main__":
    main()
