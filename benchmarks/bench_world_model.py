"""World-model throughput: training tokens/s and MFU, imagination transitions/s.

Training: a preset's transformer on image-like frames (``grid_size**2`` VQ tokens plus an
action token per frame, ``max_frames`` frames per sequence), random token batches, one
full AdamW step each (``train_step``). Variants: bf16 autocast + ``torch.compile``, bf16
eager, and the anchor fp32 eager (TF32 off). Model FLOPs per token are counted as
``6 N + 6 n_layer n_embd ctx``: 6 per non-embedding parameter (forward + backward) plus
the attention products over the about ``ctx / 2`` keys a block-causal query sees
(``ctx`` = tokens per sequence). MFU divides by the datasheet dense bf16 peak of the
GPU (989 TFLOP/s for H100/H200 SXM) and, as a second figure, by the bf16 matrix-product
rate measured in the same run.

Imagination: batched rollouts of ``horizon`` frames from random start frames, with the
KV cache (one frame of compute per step) against the anchor without it (the whole
context recomputed each step); both bf16 autocast.

Run: ``python benchmarks/bench_world_model.py --preset base`` (GPU) or
``python benchmarks/bench_world_model.py --preset tiny --device cpu`` (a smoke run).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from _timing import synced
from gymnasium import spaces

from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_wrappers.models import resolve_device

DATASHEET_BF16 = 989e12


def _time(fn: Callable[[], object], device: torch.device, warmup: int, iters: int) -> float:
    """Median seconds per call over ``iters`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    return float(np.median([synced(fn, device)[0] for _ in range(iters)]))


def matmul_peak(device: torch.device) -> float:
    """Measured bf16 matrix-product rate (FLOP/s) on random 8192^3 operands."""
    if device.type != "cuda":
        return float("nan")
    a, b = (torch.randn(8192, 8192, device=device, dtype=torch.bfloat16) for _ in range(2))
    return 2 * 8192**3 / _time(lambda: a @ b, device, 3, 10)


def make_model(preset: str, device: str, **overrides: object) -> WorldModel:
    cfg = WorldModelConfig.preset(preset, device=device, **overrides)
    space = spaces.Box(0, 255, (cfg.image_size, cfg.image_size, 3), dtype=np.uint8)
    return WorldModel(space, spaces.Discrete(6), cfg)


def train_variant(args: argparse.Namespace, name: str, **overrides: object) -> dict[str, float]:
    """Tokens/s and MFU of ``train_step`` for one precision/compile variant."""
    torch.backends.cuda.matmul.allow_tf32 = False
    model = make_model(args.preset, args.device, **overrides)
    net, cfg = model.transformer, model.config
    g = torch.Generator(model.device).manual_seed(0)
    b, f, t = args.batch, cfg.max_frames, net.tokens_per_frame
    batches = [
        {
            "tokens": torch.randint(
                0, net.obs_vocab, (b, f + 1, t), device=model.device, generator=g
            ),
            "actions": torch.randint(0, 6, (b, f), device=model.device, generator=g),
            "rewards": torch.rand(b, f, device=model.device, generator=g),
            "terminated": torch.zeros(b, f, device=model.device),
        }
        for _ in range(4)
    ]
    step = iter(range(10**9))
    seconds = _time(
        lambda: model.train_step(batches[next(step) % 4]), model.device, args.warmup, args.iters
    )
    tokens = b * f * net.block_len
    flops_per_token = 6 * net.num_params() + 6 * cfg.n_layer * cfg.n_embd * f * net.block_len
    rate = tokens / seconds
    out = {
        "variant": name,
        "params": net.num_params(),
        "tokens_per_step": tokens,
        "step_ms": seconds * 1e3,
        "tokens_per_s": rate,
        "tflops": rate * flops_per_token / 1e12,
        "mfu_datasheet": rate * flops_per_token / DATASHEET_BF16,
        "mfu_measured": rate * flops_per_token / args.peak,
    }
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return out


def imagine_variant(args: argparse.Namespace, use_cache: bool) -> dict[str, float]:
    """Transitions/s of batched imagination with or without the KV cache."""
    model = make_model(args.preset, args.device)
    g = torch.Generator(model.device).manual_seed(0)
    h = min(args.horizon, model.config.max_frames - 1) if not args.refill else args.horizon
    size = model.config.image_size
    start = torch.randint(
        0, 256, (args.rollouts, size, size, 3), device=model.device, generator=g, dtype=torch.uint8
    )
    actions = torch.randint(0, 6, (args.rollouts, h), device=model.device, generator=g)

    def rollout() -> object:
        return model.imagine(start, actions, h, use_cache=use_cache)

    seconds = _time(rollout, model.device, 2, max(3, args.iters // 4))
    return {
        "variant": f"imagine {'with' if use_cache else 'without'} KV cache",
        "horizon": h,
        "rollouts": args.rollouts,
        "ms": seconds * 1e3,
        "transitions_per_s": args.rollouts * h / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="base")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=64, help="sequences per training step")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--rollouts", type=int, default=512)
    parser.add_argument("--horizon", type=int, default=15)
    parser.add_argument("--refill", action="store_true", help="allow horizon > max_frames - 1")
    parser.add_argument("--skip-fp32", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    device = resolve_device(args.device)
    args.peak = matmul_peak(device)
    train = [train_variant(args, "bf16 + compile", compile=True), train_variant(args, "bf16 eager")]
    if not args.skip_fp32:
        train.append(train_variant(args, "fp32 eager (anchor)", autocast=False))
    imagine = [imagine_variant(args, True), imagine_variant(args, False)]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"\nworld model '{args.preset}' on {name}; measured bf16 matmul peak "
        f"{args.peak / 1e12:.0f} TFLOP/s"
    )
    print(
        f"{'training variant':<22}{'step ms':>9}{'tokens/s':>12}{'TFLOP/s':>9}{'MFU':>7}"
        f"{'MFU(meas)':>10}{'x fp32':>8}"
    )
    anchor = train[-1]["tokens_per_s"]
    for r in train:
        print(
            f"{r['variant']:<22}{r['step_ms']:>9.1f}{r['tokens_per_s']:>12.0f}"
            f"{r['tflops']:>9.1f}{r['mfu_datasheet']:>7.1%}{r['mfu_measured']:>10.1%}"
            f"{r['tokens_per_s'] / anchor:>8.2f}"
        )
    print(f"{'imagination':<28}{'ms':>9}{'transitions/s':>15}{'x no cache':>12}")
    for r in imagine:
        print(
            f"{r['variant']:<28}{r['ms']:>9.1f}{r['transitions_per_s']:>15.0f}"
            f"{r['transitions_per_s'] / imagine[-1]['transitions_per_s']:>12.2f}"
        )
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "device": name,
                    "peak": args.peak,
                    "train": train,
                    "imagine": imagine,
                    "args": vars(args) | {"out": str(args.out)},
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
