"""DistributedDataParallel training: two CPU processes (gloo) end with the same weights."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from gymnasium import spaces

from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.data import sequence_batch
from aisam_envs.errors import InvalidConfigError
from aisam_envs.table.tables import make_table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        config = WorldModelConfig.preset("tiny", device="cpu", max_frames=4)
        model = WorldModel(spaces.Discrete(16), spaces.Discrete(4), config)
        start = torch.cat([p.detach().flatten() for p in model.transformer.parameters()])
        model.distribute()
        table = make_table("random", 16, 4, seed=0)
        rng = np.random.default_rng(rank)  # each rank trains on its own batches
        for _ in range(3):
            model.train_step(sequence_batch(table, 8, 4, rng))
        end = torch.cat([p.detach().flatten() for p in model.transformer.parameters()])
        torch.save({"start": start, "end": end}, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_ddp_ranks_stay_in_sync(tmp_path) -> None:
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    torch.testing.assert_close(r0["start"], r1["start"], atol=0, rtol=0)  # same seed
    torch.testing.assert_close(r0["end"], r1["end"], atol=1e-6, rtol=0)  # averaged grads
    assert not torch.allclose(r0["end"], r0["start"])  # and they did train


def test_distribute_needs_a_process_group(make_model) -> None:
    if dist.is_initialized():
        pytest.skip("a process group is already initialised")
    with pytest.raises(InvalidConfigError, match="init_process_group"):
        make_model(16, 4).distribute()
