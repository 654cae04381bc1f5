"""A function of fixed-shape tensors captured once as a CUDA graph and replayed after.

On a GPU, PonderDreamer's acting step is bound by dispatching its ops one by one (about
1,800 aten ops, 325 of them called from Python, counted on the CPU; the GPU is busy ~5 % of
the time in ``benchmarks/profile_ponder_dreamer.py``); a graph replays them with one launch.
The captured kernels read the weights where they are, so optimiser steps (which update them
in place) are seen by every later replay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np
import torch

__all__ = ["CudaGraphed"]

T = TypeVar("T")

#: calls on a side stream before capture (cuBLAS / cuDNN set up their workspaces there)
WARMUP_CALLS = 3


class CudaGraphed(Generic[T]):
    """``fn(*inputs) -> T`` on CUDA tensors of the shapes and dtypes of ``examples``.

    The constructor warms ``fn`` up and captures it (``fn`` must not sync the host:
    no ``.item()``, no data-dependent Python branches, and autocast without its weight
    cache). Each call copies its inputs into the captured ones, replays the graph and
    returns the captured output, whose tensors the next call overwrites: read them first.
    """

    def __init__(self, fn: Callable[..., T], examples: Sequence[torch.Tensor]) -> None:
        self.inputs = [x.detach().clone() for x in examples]
        side = torch.cuda.Stream(self.inputs[0].device)
        side.wait_stream(torch.cuda.current_stream(side.device))
        with torch.no_grad():
            with torch.cuda.stream(side):
                for _ in range(WARMUP_CALLS):
                    fn(*self.inputs)
            torch.cuda.current_stream(side.device).wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.output = fn(*self.inputs)

    def __call__(self, *inputs: np.ndarray | torch.Tensor) -> T:
        """Replays on ``inputs`` (arrays or tensors of the captured shapes)."""
        if len(inputs) != len(self.inputs):
            raise TypeError(f"expected {len(self.inputs)} inputs, got {len(inputs)}")
        for static, x in zip(self.inputs, inputs, strict=True):
            value = torch.as_tensor(x)
            if value.shape != static.shape:
                raise ValueError(f"expected shape {tuple(static.shape)}, got {tuple(value.shape)}")
            static.copy_(value, non_blocking=True)
        self.graph.replay()
        return self.output
