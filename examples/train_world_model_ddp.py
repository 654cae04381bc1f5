"""Train the world model on a transition table with DistributedDataParallel.

Run on N GPUs (or CPU processes with ``--device cpu``):

    torchrun --standalone --nproc_per_node=2 examples/train_world_model_ddp.py --preset small

Each process samples its own random-walk sequences of the same table (seeded by rank),
gradients are averaged by DDP, and at the end rank 0 checks that every rank holds the
same weights, evaluates next-state accuracy over all (state, action) pairs and prints
the throughput (transformer input tokens per second, all ranks together).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from gymnasium import spaces

from aisam_agents.studies.table_fit import DeviceTable
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.data import sequence_batch
from aisam_envs.table.tables import make_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--states", type=int, default=1024)
    parser.add_argument("--actions", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per rank and step")
    parser.add_argument("--frames", type=int, default=8, help="transitions per sequence")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--device", choices=["cuda", "cpu"], default="cuda", help="cuda: rank r uses GPU LOCAL_RANK"
    )
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()

    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = f"cuda:{local}" if args.device == "cuda" else "cpu"
    if args.device == "cuda":
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if args.device == "cuda" else "gloo")
    table = make_table("random", args.states, args.actions, seed=0)
    config = WorldModelConfig.preset(
        args.preset,
        device=device,
        max_frames=args.frames,
        learning_rate=args.lr,
        compile=args.compile,
    )
    model = WorldModel(spaces.Discrete(args.states), spaces.Discrete(args.actions), config)
    model.distribute()
    rng = np.random.default_rng(1000 + rank)
    tokens_per_step = args.batch_size * args.frames * model.transformer.block_len * world
    warmup = min(20, args.steps // 4)
    for step in range(args.steps):
        if step == warmup:
            torch.cuda.synchronize() if args.device == "cuda" else None
            t0 = time.perf_counter()
        model.set_learning_rate(args.lr * (1 - 0.9 * step / args.steps))
        metrics = model.train_step(sequence_batch(table, args.batch_size, args.frames, rng))
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    flat = torch.cat([p.detach().float().view(-1) for p in model.transformer.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, 0)
    diff = (flat - reference).abs().max()
    dist.all_reduce(diff, op=dist.ReduceOp.MAX)
    if rank == 0:
        scores = DeviceTable(table, model.device, seed=0).evaluate(model)
        accuracy, loss = scores["accuracy"], scores["cross_entropy"]
        rate = tokens_per_step * (args.steps - warmup) / seconds
        print(
            f"world={world} preset={args.preset} S={args.states} steps={args.steps}: "
            f"{rate:,.0f} tokens/s ({rate / world:,.0f} per rank), last train loss "
            f"{metrics['obs_nll']:.4f}, accuracy {accuracy:.4f}, eval loss {loss:.4f}, "
            f"max weight difference across ranks {float(diff):.2e}"
        )
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
