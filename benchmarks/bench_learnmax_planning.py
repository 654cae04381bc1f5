"""LearnMax planning throughput: decisions/s and imagined transitions/s of the batched search.

For each number of envs ``N`` (64-512 on a GPU), one :func:`beam_search` of depth ``H`` and
width ``K`` over ``A`` actions from ``N`` image observations (a Montezuma-sized frame and
preset), scored by LearnMax's default criterion, ``infogain`` (hashed context counts, all
zero here: the same work), or by ``disagreement`` (ensemble heads on the features) or
``entropy``.
Decisions/s = ``N`` / seconds per search; imagined transitions/s = the search's expanded
branches (:attr:`SearchResult.transitions`) / seconds.

Anchor, in the same run and interleaved with the search: ``WorldModel.imagine`` of the same
model with the KV cache, bf16 on CUDA, over ``N * K * A`` rollouts of ``H`` steps (the
search's batch at full width), as transitions/s; the ratio search / imagination is the
figure of merit (goal on one H100: >= 0.8, i.e. the search adds little beyond imagination).

Memory (bf16 keys and values: ``2 * n_layer * (T + 1) * d * 2`` bytes per frame of a row,
0.80 MiB for ``base``'s 12 layers, d 1024, 16 + 1 tokens): the search keeps each env's
history once, the ``K * A`` frames fed at a depth (51 MiB per env) and its ``K`` branches'
imagined frames (at most 19 MiB per env, 13 more while the last ones are chosen): at most
83 MiB per env from a one-frame history (42 GiB at N = 512), plus the activations of a
depth's ``N * K * A`` branches; a cache copied to every child of every branch took
``K * A * max_frames`` frames, 816 MiB per env (51 GiB at N = 64), copied from the
parents' 102 MiB.
The anchor's cache holds the ``H`` frames a rollout feeds, ``K * A * H`` frames, 204 MiB
per env (102 GiB at N = 512): a batch that does not fit one GPU is imagined in chunks, one
after the other, the chunk halved until it fits (``imagine batch`` in the table; thousands
of rollouts saturate a GPU). A part that does not fit even then is printed as ``out of
memory`` and the other ``N`` go on. The peaks measured are printed (``GiB``).

Run: ``python benchmarks/bench_learnmax_planning.py --preset base`` (GPU) or
``python benchmarks/bench_learnmax_planning.py --preset tiny --device cpu --envs 4 8``
(a CPU smoke run).
"""

from __future__ import annotations

import argparse
import gc
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from _timing import interleaved, synced
from gymnasium import spaces

from aisam_agents.learnmax.counts import ContextCounts
from aisam_agents.learnmax.criteria import EnsembleHeads, step_value
from aisam_agents.learnmax.search import SearchResult, beam_search
from aisam_agents.world_model import WorldModel, WorldModelConfig


def _timed(fn: Callable[[], object], device: torch.device) -> Callable[[], float]:
    """``fn`` as a timer returning its seconds (synchronised on CUDA)."""

    def timer() -> float:
        return synced(fn, device)[0]

    return timer


def _peak_gib(fn: Callable[[], object], device: torch.device) -> float:
    """Runs ``fn`` once; the peak GPU memory it allocated, GiB (0 off CUDA)."""
    if device.type != "cuda":
        fn()
        return 0.0
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / 2**30


def _release(device: torch.device) -> None:
    """Returns the memory of a failed allocation's leftovers to the device."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def bench(args: argparse.Namespace, n_envs: int) -> dict[str, float]:
    """Search and imagination throughput for ``n_envs`` envs (``oom`` names what did not
    fit, instead of the figures)."""
    cfg = WorldModelConfig.preset(args.preset, device=args.device)
    space = spaces.Box(0, 255, (210, 160, 3), dtype=np.uint8)  # an Atari frame
    model = WorldModel(space, spaces.Discrete(args.actions), cfg)
    device, h, k, a = model.device, args.horizon, args.width, args.actions
    g = torch.Generator(device).manual_seed(0)
    frames = torch.randint(0, 256, (n_envs, 1, *space.shape), device=device, generator=g,
                           dtype=torch.uint8)  # fmt: skip
    tokens = model.tokenize(frames)
    past = torch.zeros(n_envs, 0, dtype=torch.long, device=device)
    heads = EnsembleHeads(model.transformer.n_embd, model.tokenizer.tokens_per_frame,
                          model.tokenizer.vocab_size).to(device)  # fmt: skip
    counts = ContextCounts(model.tokenizer.tokens_per_frame, 0, device)
    noise = torch.rand(n_envs, k * a, device=device, generator=g)

    def score(d: object, frame: torch.Tensor, act: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return step_value(args.criterion, d, heads, counts(frame, act))

    def search() -> SearchResult:
        return beam_search(model, tokens, past, h, k, score, noise)

    rollouts = n_envs * k * a
    start = frames[:, 0].repeat_interleave(k * a, 0)
    actions = torch.randint(0, a, (rollouts, h), device=device, generator=g)
    chunk = [rollouts]  # imagine's batch: all rollouts at once, unless they do not fit

    def imagine() -> None:
        for lo in range(0, rollouts, chunk[0]):
            model.imagine(start[lo : lo + chunk[0]], actions[lo : lo + chunk[0]], h, sample=False)

    try:
        transitions = search().transitions
        search_gib = _peak_gib(search, device)
    except torch.OutOfMemoryError:
        _release(device)
        return {"n_envs": n_envs, "oom": "search"}
    while True:
        try:
            imagine_gib = _peak_gib(imagine, device)
            break
        except torch.OutOfMemoryError:
            _release(device)
            if chunk[0] == 1:
                return {"n_envs": n_envs, "oom": "imagine"}
            chunk[0] = (chunk[0] + 1) // 2
    for _ in range(args.warmup):
        search()
        imagine()
    t_search, t_imagine = interleaved([_timed(search, device), _timed(imagine, device)],
                                      args.iters)  # fmt: skip
    s, i = float(np.median(t_search)), float(np.median(t_imagine))
    return {
        "n_envs": n_envs,
        "decisions_per_s": n_envs / s,
        "search_transitions_per_s": transitions / s,
        "imagine_transitions_per_s": rollouts * h / i,
        "ratio": (transitions / s) / (rollouts * h / i),
        "search_ms": s * 1e3,
        "search_peak_gib": search_gib,
        "imagine_peak_gib": imagine_gib,
        "imagine_batch": chunk[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="base")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--envs", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--actions", type=int, default=8, help="8: Montezuma with running jumps")
    parser.add_argument(
        "--criterion", default="infogain", choices=["infogain", "disagreement", "entropy"]
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    results = [bench(args, n) for n in args.envs]
    print(f"{'envs':>6} {'decisions/s':>12} {'search tr/s':>12} {'imagine tr/s':>13} {'ratio':>6} "
          f"{'search GiB':>10} {'imagine GiB':>11} {'imagine batch':>13}")  # fmt: skip
    for r in results:
        if "oom" in r:
            print(f"{r['n_envs']:>6} out of memory ({r['oom']})")
            continue
        rates = f"{r['search_transitions_per_s']:>12.0f} {r['imagine_transitions_per_s']:>13.0f}"
        memory = f"{r['search_peak_gib']:>10.1f} {r['imagine_peak_gib']:>11.1f}"
        print(f"{r['n_envs']:>6} {r['decisions_per_s']:>12.1f} {rates} {r['ratio']:>6.2f} "
              f"{memory} {r['imagine_batch']:>13}")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)},
                                        "results": results}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
