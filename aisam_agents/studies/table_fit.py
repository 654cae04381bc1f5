"""One point of the scaling study: a world model trained on one table until it has learnt it.

Data never leaves the model's device. The table's successor ids and probabilities are
copied there once (:class:`DeviceTable`); every epoch is a permutation of all ``S * A``
(state, action) pairs drawn there by a torch generator, cut into ``steps_per_epoch``
batches, and successors of stochastic tables are sampled there. So each pair is seen
exactly once per epoch: *exposures per pair* = epochs (the per-pair counts are kept on
the device and reported).

Evaluations (every pair, on the device) follow a geometric schedule: after ``e``
exposures the next one comes ``max(1, e // 8)`` exposures later. Each decides:

- ``target``: next-state accuracy >= ``target_accuracy`` (deterministic tables) or
  KL(true || model) <= ``target_kl`` nats per pair (stochastic ones): the point stops;
- ``plateau``: after ``min_exposures``, over the last 20% of the exposures the accuracy
  rose by less than 0.1 percentage point *and* the loss (cross-entropy, or KL) fell by
  less than 1%: the learning rate decays;
- ``cap``: 80% of ``max_exposures`` trained at the peak rate: the learning rate decays.

The learning rate is warmup-stable-decay: a linear warmup over the first two epochs,
the peak rate until a plateau or the cap, then a linear decay to 1% of the peak over a
quarter as many exposures as were trained at the peak (so a capped model trains about
``max_exposures`` in all); the evaluation at its end closes the point with status
``plateau`` or ``cap``.
A stable-then-decay schedule needs no step count fixed in advance, and the decay
averages out the sampling noise of stochastic tables.

:func:`fit_point` can stop at a deadline between epochs and write a checkpoint (model,
optimizer, generator, counts, history); called again with that checkpoint it continues
exactly where it stopped.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.model import WorldModel
from aisam_envs.table.tables import TransitionTable, make_table

PLATEAU_WINDOW = 0.2  # fraction of the exposures so far that a plateau is judged over
PLATEAU_ACCURACY = 1e-3  # smallest accuracy gain over the window that is progress
PLATEAU_LOSS = 0.01  # smallest relative loss drop over the window that is progress
EVAL_CHUNK = 8192  # pairs per evaluation forward pass


@dataclass(frozen=True)
class PointSpec:
    """Everything that defines one training run of the sweep (a CSV row's inputs); the
    sweep makes them from its options (:func:`aisam_agents.studies.scaling.points`).

    Attributes:
        n_states, n_actions, kind: the table (``make_table(kind, S, A, seed=seed)``).
        n_layer, n_head, n_embd: the transformer.
        params_per_bit: the grid value this model was sized for (the row also holds the
            exact ratio).
        learning_rate: the peak learning rate.
        steps_per_epoch: optimizer steps per pass over all pairs (batch = pairs / steps).
        max_exposures, min_exposures: the cap, and the fewest before a plateau counts.
        target_accuracy, target_kl: what counts as learnt (deterministic, stochastic).
        seed: the table, the weights and the data order.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    """

    n_states: int
    n_actions: int
    kind: str
    n_layer: int
    n_head: int
    n_embd: int
    params_per_bit: float
    learning_rate: float
    steps_per_epoch: int
    max_exposures: int
    min_exposures: int
    target_accuracy: float
    target_kl: float
    seed: int
    device: str

    @property
    def key(self) -> str:
        """The point's name in the CSV and its checkpoint's file name."""
        return (
            f"{self.kind}-S{self.n_states}-A{self.n_actions}-L{self.n_layer}-d{self.n_embd}"
            f"-ppb{self.params_per_bit:g}-seed{self.seed}"
        )


class DeviceTable:
    """A transition table's arrays as tensors on ``device``; batches are drawn there.

    Args:
        table: the table (successors ``(S, A, K)`` and their probabilities).
        device: where the model lives.
        seed: seeds the generator of the epoch permutations and successor draws.
    """

    def __init__(self, table: TransitionTable, device: torch.device, seed: int) -> None:
        self.n_states, self.n_actions = table.n_states, table.n_actions
        self.n_pairs = self.n_states * self.n_actions
        self.deterministic = table.deterministic
        flat = (self.n_pairs, table.n_successors)
        self.successors = _tensor(table.next_states, flat, device).long()
        self.probs = _tensor(table.probs, flat, device).float()
        self.thresholds = _tensor(table.thresholds, (self.n_pairs, -1), device)  # (N, K - 1)
        self.best = self.successors.gather(1, self.probs.argmax(1, keepdim=True))[:, 0]
        plogp = torch.where(self.probs > 0, self.probs * self.probs.log(), 0.0)
        self.mean_entropy = float(-plogp.sum(1).mean())  # nats per pair
        self.counts = torch.zeros(self.n_pairs, dtype=torch.int64, device=device)
        self.generator = torch.Generator(device).manual_seed(seed)
        self.device = device

    def epoch(self, n_batches: int) -> tuple[torch.Tensor, ...]:
        """A permutation of all pair ids ``s * A + a``, cut into ``n_batches`` parts."""
        order = torch.randperm(self.n_pairs, generator=self.generator, device=self.device)
        return order.tensor_split(n_batches)

    def batch(self, pairs: torch.Tensor) -> dict[str, torch.Tensor]:
        """A world-model batch for the pair ids ``pairs`` ``(B,)``: ``obs`` ``(B, 2)``
        (state, sampled successor) and ``actions`` ``(B, 1)``; counts the exposures."""
        self.counts.index_add_(0, pairs, torch.ones_like(pairs))
        succ = self.successors[pairs]
        if self.deterministic:
            nxt = succ[:, 0]
        else:
            u = torch.rand(pairs.shape[0], generator=self.generator, device=self.device)
            slot = (u[:, None] >= self.thresholds[pairs]).sum(1)
            nxt = succ.gather(1, slot[:, None])[:, 0]
        states = torch.div(pairs, self.n_actions, rounding_mode="floor")
        return {"obs": torch.stack([states, nxt], 1), "actions": (pairs % self.n_actions)[:, None]}

    @torch.no_grad()
    def evaluate(self, model: WorldModel) -> dict[str, float]:
        """Over every pair: ``accuracy`` of the most likely successor, ``cross_entropy``
        against the true successor distribution and ``kl`` = cross-entropy - entropy
        (nats per pair)."""
        hits = torch.zeros((), device=self.device)
        ce = torch.zeros((), device=self.device, dtype=torch.float64)
        for lo in range(0, self.n_pairs, EVAL_CHUNK):
            pairs = torch.arange(lo, min(lo + EVAL_CHUNK, self.n_pairs), device=self.device)
            states = torch.div(pairs, self.n_actions, rounding_mode="floor")
            logp = model.predict_next(states, pairs % self.n_actions).logits[:, 0]
            logp = logp.log_softmax(-1)
            hits += (logp.argmax(-1) == self.best[pairs]).sum()
            ce -= (self.probs[pairs] * logp.gather(1, self.successors[pairs])).sum().double()
        accuracy, cross_entropy = (float(x) / self.n_pairs for x in (hits, ce))
        return {
            "accuracy": accuracy,
            "cross_entropy": cross_entropy,
            "kl": max(0.0, cross_entropy - self.mean_entropy),
        }


def _tensor(values: np.ndarray, shape: tuple[int, int], device: torch.device) -> torch.Tensor:
    """A copy of ``values`` reshaped to ``shape`` on ``device`` (one host-to-device copy)."""
    return torch.from_numpy(np.array(values).reshape(shape)).to(device)


def build(spec: PointSpec) -> tuple[WorldModel, DeviceTable]:
    """The fresh model and the device table of ``spec``."""
    table = make_table(spec.kind, spec.n_states, spec.n_actions, seed=spec.seed)
    config = WorldModelConfig(
        n_layer=spec.n_layer,
        n_head=spec.n_head,
        n_embd=spec.n_embd,
        max_frames=1,
        learning_rate=spec.learning_rate,
        warmup_steps=2 * spec.steps_per_epoch,
        seed=spec.seed,
        device=spec.device,
    )
    model = WorldModel(spaces.Discrete(spec.n_states), spaces.Discrete(spec.n_actions), config)
    return model, DeviceTable(table, model.device, spec.seed)


@dataclass
class _Progress:
    """Where a point stands between epochs (what a checkpoint holds besides tensors)."""

    exposures: int = 0
    next_eval: int = 0
    decay_start: int | None = None  # exposures when the peak phase ended
    decay_end: int | None = None
    reason: str = ""  # "plateau" or "cap" once the decay started
    tokens: int = 0
    wall_s: float = 0.0
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)


def _plateaued(history: list[dict[str, float]], min_exposures: int, loss_key: str) -> bool:
    """The plateau rule of the module docstring on the evaluations so far."""
    now = history[-1]
    if now["exposures"] < min_exposures:
        return False
    before = [h for h in history if h["exposures"] <= (1 - PLATEAU_WINDOW) * now["exposures"]]
    if not before:
        return False
    then = before[-1]
    gained = now["accuracy"] - then["accuracy"]
    dropped = then[loss_key] - now[loss_key]
    return gained < PLATEAU_ACCURACY and dropped < PLATEAU_LOSS * then[loss_key]


def _decide(spec: PointSpec, p: _Progress, deterministic: bool) -> str | None:
    """After an evaluation: the final status if the point is done, else ``None`` (and
    starts the decay when the peak phase ends)."""
    last = p.history[-1]
    reached = (
        last["accuracy"] >= spec.target_accuracy if deterministic else last["kl"] <= spec.target_kl
    )
    if reached:
        return "target"
    if p.decay_end is None:
        loss_key = "cross_entropy" if deterministic else "kl"
        if _plateaued(p.history, spec.min_exposures, loss_key):
            p.reason = "plateau"
        elif p.exposures >= int(0.8 * spec.max_exposures):
            p.reason = "cap"
        else:
            return None
        p.decay_start, p.decay_end = p.exposures, p.exposures + max(1, p.exposures // 4)
        return None
    return p.reason if p.exposures >= p.decay_end else None


def _learning_rate(spec: PointSpec, p: _Progress, step_in_epoch: int) -> float:
    """The peak rate, or the decayed one inside the decay phase (warmup is the model's)."""
    if p.decay_start is None or p.decay_end is None:
        return spec.learning_rate
    total = (p.decay_end - p.decay_start) * spec.steps_per_epoch
    done = (p.exposures - p.decay_start) * spec.steps_per_epoch + step_in_epoch + 1
    return spec.learning_rate * (1.0 - 0.99 * min(1.0, done / total))


def fit_point(
    spec: PointSpec, checkpoint: Path | None = None, deadline: float = math.inf
) -> tuple[dict[str, Any], list[dict[str, float]]] | None:
    """Trains ``spec``'s model until its table is learnt, has plateaued, or the cap.

    Args:
        spec: the point.
        checkpoint: where to keep the running point: read if it exists (it must be
            this spec's), written when ``deadline`` passes, removed at the end.
        deadline: ``time.time()`` (wall clock, comparable across machines) after which
            the point stops at the end of an epoch (at least one epoch runs per call).

    Returns:
        ``(row, history)``: the CSV row of the finished point and its evaluations, or
        ``None`` if the deadline stopped it (its state is then in ``checkpoint``).
    """
    model, table = build(spec)
    p = _Progress()
    if checkpoint is not None and checkpoint.exists():
        p = _restore(checkpoint, spec, model, table)
    while True:
        if p.exposures == p.next_eval:
            p.history.append({"exposures": p.exposures, **table.evaluate(model)})
            status = _decide(spec, p, table.deterministic)
            if status is not None:
                if checkpoint is not None:
                    checkpoint.unlink(missing_ok=True)
                return _row(spec, model, table, p, status), p.history
            p.next_eval = p.exposures + max(1, p.exposures // 8)
            if p.decay_end is not None:
                p.next_eval = min(p.next_eval, p.decay_end)
        start = time.perf_counter()
        for i, pairs in enumerate(table.epoch(spec.steps_per_epoch)):
            model.set_learning_rate(_learning_rate(spec, p, i))
            model.train_step(table.batch(pairs))
            p.tokens += pairs.shape[0] * model.transformer.block_len
        p.exposures += 1
        p.wall_s += time.perf_counter() - start  # training time (evaluations left out)
        if time.time() > deadline:  # after an epoch, so that every call makes progress
            if checkpoint is not None:
                _save(checkpoint, spec, model, table, p)
            return None


def _row(
    spec: PointSpec, model: WorldModel, table: DeviceTable, p: _Progress, status: str
) -> dict[str, Any]:
    """The CSV row of a finished point."""
    last = p.history[-1]
    bits = spec.n_states * spec.n_actions * math.log2(spec.n_states)
    params = model.num_params(non_embedding=False)
    stored = table.n_pairs * max(
        0.0, math.log2(spec.n_states) - last["cross_entropy"] / math.log(2)
    )
    counts = table.counts
    return {
        "key": spec.key,
        **dataclasses.asdict(spec),
        "device_name": _device_name(model.device),
        "batch_size": math.ceil(table.n_pairs / spec.steps_per_epoch),
        "params": params,
        "params_non_embedding": model.num_params(non_embedding=True),
        "table_bits": bits,
        "params_per_table_bit": params / bits,
        "status": status,
        "converged": status != "cap",
        "exposures": p.exposures,
        "exposures_min": int(counts.min()),
        "exposures_max": int(counts.max()),
        "exposures_to_target": p.exposures if status == "target" else "",
        "steps": model.steps_done,
        "tokens": p.tokens,
        "wall_s": round(p.wall_s, 3),
        "accuracy": last["accuracy"],
        "cross_entropy": last["cross_entropy"],
        "kl": last["kl"],
        "bits_stored": stored,
        "bits_per_param": stored / params,
    }


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def _save(path: Path, spec: PointSpec, model: WorldModel, table: DeviceTable, p: _Progress) -> None:
    """Writes the running point (atomically: a stopped write leaves the old file)."""
    state = {
        "key": spec.key,
        "spec": dataclasses.asdict(spec),
        "model": model.state_dict(),
        "optimizer": model.optimizer.state_dict(),
        "steps_done": model.steps_done,
        "generator": table.generator.get_state(),
        "counts": table.counts.cpu(),
        "progress": dataclasses.asdict(p),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _restore(path: Path, spec: PointSpec, model: WorldModel, table: DeviceTable) -> _Progress:
    """Loads a checkpoint written by :func:`_save` for ``spec`` into ``model``/``table``."""
    try:
        state = torch.load(path, map_location=model.device, weights_only=True)
        saved = _portable(state["spec"])
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        raise CheckpointError(f"{path} is not a checkpoint of {spec.key} ({exc})") from exc
    if saved != _portable(dataclasses.asdict(spec)):
        raise CheckpointError(f"{path} holds point {state['key']}, not {spec.key}")
    try:
        model.load_state_dict(state["model"])
        model.optimizer.load_state_dict(state["optimizer"])
        model.steps_done = state["steps_done"]
        table.generator.set_state(state["generator"].cpu())
        table.counts.copy_(state["counts"])
        return _Progress(**state["progress"])
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} does not match point {spec.key} ({exc})") from exc


def _portable(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec without its device: a point may continue on another device."""
    return {k: v for k, v in spec.items() if k != "device"}
