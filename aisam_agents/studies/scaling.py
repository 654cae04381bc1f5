"""``aisam scaling``: how many parameters a world model needs to memorise a transition table.

A deterministic S x A table holds ``S * A * log2(S)`` bits. For every table size S and
every grid value of *parameters per table bit*, the sweep sizes a transformer
(``n_layer`` fixed, the width chosen so that all its parameters, embeddings and output
head included, come closest to that many per bit), trains it on the table until it has
learnt it, plateaued or hit the exposure cap (:mod:`aisam_agents.studies.table_fit`),
and appends one row to ``scaling.csv`` and its evaluations to ``scaling_curves.csv``.

Learning rate per width: ``lr * (64 / n_embd) ** lr_exponent``. Adam moves every weight
by about the learning rate, so wider layers need smaller steps; the exponent 1.5 came
from a CPU scan on the 256 x 6 table (100 exposures; best rate 0.1 of 3e-3..0.1 at width
8, 3e-3..1e-2 at width 32, 1e-3 of 1e-3..1e-2 at width 128), which the rule follows.

Resumable: with ``--resume`` the points already in ``scaling.csv`` are skipped, and a
point stopped by ``--time-limit`` continues from its checkpoint in ``checkpoints/``; so
a sweep adds up over runs of any length. Points run one after another, or as Ray tasks
(``--ray-address``; the output folder must then be shared with the workers).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from aisam_agents.cli_options import add_options, from_args, option, validate
from aisam_agents.studies.rows import append_rows
from aisam_agents.studies.table_fit import PointSpec, fit_point
from aisam_agents.world_model.config import WorldModelConfig
from aisam_agents.world_model.transformer import WorldTransformer
from aisam_envs.errors import InvalidConfigError, require_extra

REFERENCE_WIDTH = 64  # the width at which --lr applies unscaled
CSV_NAME, CURVES_NAME, PLOT_NAME = "scaling.csv", "scaling_curves.csv", "scaling.png"
CHECKPOINTS = "checkpoints"  # the running points' checkpoints, inside --out


def _check_device(name: str, value: str) -> None:
    """Rejects a device the world model would refuse, before any point runs."""
    try:
        WorldModelConfig(device=value)
    except InvalidConfigError as exc:
        raise InvalidConfigError(f"{name}: {exc}") from exc


def _check_unit(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise InvalidConfigError(f"{name} must be in (0, 1], got {value}")


@dataclass(frozen=True)
class ScalingConfig:
    """One sweep of ``aisam scaling``; each field is one option.

    Attributes:
        states: table sizes S of the deterministic (kind random) series.
        stochastic_states: table sizes of the stochastic series (3 successors per pair,
            Dirichlet(1) probabilities; judged by KL to the true distribution).
        params_per_bit: model sizes, as parameters per table bit (S * A * log2 S).
        actions: actions per state A.
        n_layer: transformer depth of every model (the width sets the size).
        lr: peak learning rate at width 64; width d uses lr * (64 / d) ** lr_exponent.
        lr_exponent: how fast the learning rate falls with the width.
        steps_per_epoch: optimizer steps per pass over all S * A pairs.
        max_exposures: most exposures per pair (passes over the table) of one model.
        min_exposures: fewest exposures per pair before a plateau can stop a model.
        target_accuracy: next-state accuracy over all pairs that counts as learnt.
        target_kl: KL to the true distribution (nats per pair) that counts as learnt
            (stochastic series).
        seed: seeds tables, weights and data order.
        device: torch device (auto: CUDA when available).
        out: output folder (scaling.csv, scaling_curves.csv, scaling.png, checkpoints/).
        resume: continue the sweep in --out: skip its finished points, continue its
            running one.
        time_limit: stop after this many seconds, checkpointing the running point
            (0: no limit).
        ray_address: run the points as Ray tasks on this cluster (auto, local,
            host:port).
        gpus_per_run: GPUs per Ray task.
        progress: show a progress bar.
    """

    states: tuple[int, ...] = option((256, 1024, 4096, 16384, 65536), low=2)
    stochastic_states: tuple[int, ...] = option((1024,), low=4)
    params_per_bit: tuple[float, ...] = option((0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0), low=1e-6)
    actions: int = option(6, low=1)
    n_layer: int = option(2, low=1)
    lr: float = option(3e-3, low=1e-12, high=1.0)
    lr_exponent: float = option(1.5, low=0.0, high=4.0)
    steps_per_epoch: int = option(8, low=1)
    max_exposures: int = option(1000, low=2)
    min_exposures: int = option(50, low=1)
    target_accuracy: float = option(0.99, check=_check_unit)
    target_kl: float = option(0.01, low=0.0)
    seed: int = option(0, low=0)
    device: str = option("auto", check=_check_device)
    out: Path = option(Path("scaling"))
    resume: bool = option(False)
    time_limit: float = option(0.0, low=0.0)
    ray_address: str | None = option(None)
    gpus_per_run: float = option(0.0, low=0.0)
    progress: bool = option(True)

    def __post_init__(self) -> None:
        validate(self)


def count_params(n_states: int, n_actions: int, n_layer: int, n_embd: int) -> int:
    """All parameters of the world model of a Discrete(S) table (built on the meta device)."""
    with torch.device("meta"):
        net = WorldTransformer(n_states, n_actions, 1, 1, n_layer, _heads(n_embd), n_embd)
    return net.num_params(non_embedding=False)


def _heads(n_embd: int) -> int:
    """Attention heads: the most of 8, 4, 2, 1 that divide the width into heads of >= 8."""
    return next(h for h in (8, 4, 2, 1) if n_embd % h == 0 and n_embd // h >= 8 or h == 1)


def width_for(n_states: int, n_actions: int, n_layer: int, params_per_bit: float) -> int:
    """The width (>= 4) whose model comes closest to ``params_per_bit`` (in log ratio)."""
    target = params_per_bit * n_states * n_actions * math.log2(n_states)
    lo, hi = 4, 4
    while count_params(n_states, n_actions, n_layer, hi) < target:
        lo, hi = hi, hi * 2
    while hi - lo > 1:  # the parameter count grows with the width
        mid = (lo + hi) // 2
        lo, hi = (
            (mid, hi) if count_params(n_states, n_actions, n_layer, mid) < target else (lo, mid)
        )
    return min(
        (lo, hi),
        key=lambda d: abs(math.log(count_params(n_states, n_actions, n_layer, d) / target)),
    )


def points(config: ScalingConfig) -> list[PointSpec]:
    """The sweep's points: by S, the deterministic series before the stochastic one, and
    by model size."""
    series = [(s, "random") for s in config.states]
    series += [(s, "stochastic") for s in config.stochastic_states]
    out = []
    for n_states, kind in sorted(series, key=lambda sk: (sk[0], sk[1] != "random")):
        for ppb in sorted(config.params_per_bit):
            d = width_for(n_states, config.actions, config.n_layer, ppb)
            out.append(
                PointSpec(
                    n_states=n_states,
                    n_actions=config.actions,
                    kind=kind,
                    n_layer=config.n_layer,
                    n_head=_heads(d),
                    n_embd=d,
                    params_per_bit=ppb,
                    learning_rate=config.lr * (REFERENCE_WIDTH / d) ** config.lr_exponent,
                    steps_per_epoch=config.steps_per_epoch,
                    max_exposures=config.max_exposures,
                    min_exposures=config.min_exposures,
                    target_accuracy=config.target_accuracy,
                    target_kl=config.target_kl,
                    seed=config.seed,
                    device=config.device,
                )
            )
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV this study wrote (empty if it does not exist)."""
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _finished(config: ScalingConfig, todo: list[PointSpec]) -> set[str]:
    """Keys of the points already in ``--out``'s CSV (after checking they match)."""
    rows = {r["key"]: r for r in read_rows(config.out / CSV_NAME)}
    started = rows or list((config.out / CHECKPOINTS).glob("*.pt"))
    if started and not config.resume:
        raise InvalidConfigError(
            f"{config.out} holds a sweep: pass --resume to continue it, or choose another --out"
        )
    for spec in todo:
        row = rows.get(spec.key)
        if row is None:
            continue
        for name, value in dataclasses.asdict(spec).items():
            if name != "device" and row[name] != str(value):
                raise InvalidConfigError(
                    f"{spec.key} in {config.out / CSV_NAME} was run with {name}={row[name]}, "
                    f"not {value}: use another --out for new settings"
                )
    return set(rows)


def _record(config: ScalingConfig, result: tuple[dict[str, Any], list[dict[str, float]]]) -> None:
    """Appends one finished point's row and curve to the CSVs."""
    row, history = result
    append_rows(config.out / CSV_NAME, [row])
    append_rows(config.out / CURVES_NAME, [{"key": row["key"], **h} for h in history])


def sweep(config: ScalingConfig) -> list[PointSpec]:
    """Runs the points of ``config`` not yet in its CSV; returns those still missing
    (stopped by ``--time-limit``)."""
    if config.out.exists() and not config.out.is_dir():
        raise InvalidConfigError(f"--out {config.out} exists and is not a folder")
    todo = points(config)
    done = _finished(config, todo)
    todo = [p for p in todo if p.key not in done]
    ckpts = config.out / CHECKPOINTS
    ckpts.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + config.time_limit if config.time_limit else math.inf
    if config.ray_address is None:
        for spec in _progress(todo, config.progress):
            result = fit_point(spec, ckpts / f"{spec.key}.pt", deadline)
            if result is None:
                break
            _record(config, result)
    else:
        ray = require_extra("ray", "ray")
        ray.init(address=config.ray_address, ignore_reinit_error=True, log_to_driver=False)
        task = ray.remote(num_gpus=config.gpus_per_run)(fit_point)
        pending = [task.remote(p, ckpts / f"{p.key}.pt", deadline) for p in todo]
        while pending:
            ready, pending = ray.wait(pending)
            result = ray.get(ready[0])
            if result is not None:
                _record(config, result)
    finished = {r["key"] for r in read_rows(config.out / CSV_NAME)}
    return [p for p in points(config) if p.key not in finished]


def _progress(todo: list[PointSpec], enabled: bool) -> Iterator[PointSpec] | list[PointSpec]:
    if not enabled:
        return todo
    from tqdm import tqdm

    return tqdm(todo, desc="scaling sweep", unit="model")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``aisam scaling``: one per :class:`ScalingConfig` field."""
    add_options(parser, ScalingConfig)


def run(args: argparse.Namespace) -> int:
    """Runs (or continues) the sweep, then writes the plot and prints the summary."""
    from aisam_agents.studies.scaling_report import plot, summary

    config = from_args(ScalingConfig, args)
    missing = sweep(config)
    rows = read_rows(config.out / CSV_NAME)
    if rows:
        plot(rows, config.out / PLOT_NAME)
        print(
            f"wrote {config.out / CSV_NAME}, {config.out / CURVES_NAME}, {config.out / PLOT_NAME}"
        )
        print(summary(rows))
    if missing:
        print(f"{len(missing)} points to go (stopped by --time-limit): run again with --resume")
    return 0
