"""SB3 callbacks for exploration research: what an agent discovered, not only its return.

:class:`ExplorationMetrics` works with any SB3 algorithm (or any class of SB3's shape
that calls callbacks)::

    from aisam_agents.callbacks import ExplorationMetrics

    metrics = ExplorationMetrics(csv_path="runs/x/metrics.csv")
    model.learn(100_000, callback=metrics)
    print(metrics.summary())
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from aisam_agents.errors import CheckpointError
from aisam_envs.errors import check_int, require_extra

require_extra("stable_baselines3", "agents")
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402  (after the check)
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm  # noqa: E402

#: places counted per episode and over the run: name -> the ``info`` keys that identify
#: one (the last key must be present; the others default to 0)
PLACES: dict[str, tuple[str, ...]] = {
    "rooms": ("level", "room"),  # Montezuma: info["rooms_visited"] counts the same pairs
    "maps": ("map_id",),  # Pokemon
}
#: ``info`` keys whose largest value over the run is logged (Pokemon's badges)
RUN_MAXIMA: tuple[str, ...] = ("badges",)
#: the CSV's columns, in order; a metric with no data yet leaves its cell empty
COLUMNS: tuple[str, ...] = (
    "steps",
    "seconds",
    "steps_per_second",
    "episodes",
    "solved",
    "score_mean",
    "score_max",
    "episode_length_mean",
    "states_discovered",
    "intrinsic_reward_mean",
    *(f"{name}_{kind}" for name in PLACES for kind in ("per_episode_mean", "total")),
    *(f"{key}_max" for key in RUN_MAXIMA),
)


class ExplorationMetrics(BaseCallback):
    """Exploration metrics of a training run, logged to SB3's logger (TensorBoard) and a CSV.

    Read from each step's ``infos`` (so from any env that reports them); episodes are
    the ``Monitor``'s (``info["episode"]``), so an Atari life lost does not end one:

    - episodic score, length and solved episodes (score > 0), from the ``Monitor``'s
      ``info["episode"]``: the true extrinsic return when the ``Monitor`` wraps the env
      inside any reward clipping or bonus (as ``make_vec_env`` and ``aisam train`` do);
    - distinct states discovered: distinct ``info["state"]`` (the transition tables);
    - places visited per episode and over the run: ``(info["level"], info["room"])``
      (Montezuma) and ``info["map_id"]`` (Pokemon), see :data:`PLACES`;
    - the largest ``info["badges"]`` of the run (Pokemon);
    - the mean intrinsic reward per step, ``info["intrinsic_reward"]`` as the bonus
      wrappers report it (separate from the extrinsic score);
    - env steps per second since training started.

    Values are recorded under ``exploration/`` once ``record_every`` env steps have passed
    since the last record: at the end of a rollout for on-policy algorithms (whose logs
    are written then), at that env step for the others (whose rollouts may span the whole
    ``learn``, as LearnMax's and PonderDreamer's do), and at the end of training; means
    over episodes are over the episodes finished since the last record.

    Args:
        csv_path: where to write one row per record (columns :data:`COLUMNS`); None: no CSV.
        record_every: env steps between records, at least.
    """

    def __init__(self, csv_path: str | Path | None = None, record_every: int = 1_000) -> None:
        super().__init__(verbose=0)
        self.csv_path = None if csv_path is None else Path(csv_path)
        self.record_every = check_int("record_every", record_every, 1)
        self.states: set[int] = set()
        self.places: dict[str, set[tuple[Any, ...]]] = {name: set() for name in PLACES}
        self.episodes = 0
        self.solved = 0
        self.first_solve_step = -1
        #: finished episodes' scores, lengths and places seen, since the last record and at
        #: least the last 100 (older ones are dropped, so a long run's memory stays flat)
        self.scores: list[float] = []
        self.lengths: list[int] = []
        self.episode_places: dict[str, list[int]] = {name: [] for name in PLACES}
        self._dropped = 0  # episodes dropped from the front of those lists
        self._places_max: dict[str, int] = {}  # most places seen in one episode, per kind
        self.maxima: dict[str, float] = {}
        self.intrinsic_sum = 0.0
        self.intrinsic_count = 0
        self._window_start = 0  # index into the episode lists where this record starts
        self._window_intrinsic = (0.0, 0)
        self._next_record = self.record_every
        self._start = 0.0
        self._start_steps = 0  # num_timesteps when training started (learn may continue)
        self._elapsed = 0.0  # training seconds of earlier learn calls (and runs resumed)
        self._seconds: float | None = None  # training time, once training has ended
        self._open_places: list[dict[str, set[tuple[Any, ...]]]] = []
        self._started = False  # whether a learn call has run (the CSV has its header)
        self._record_on_step = False  # records at env steps, not at rollout ends
        self._writer: Any = None
        self._file: Any = None

    def _on_training_start(self) -> None:
        self._record_on_step = not isinstance(self.model, OnPolicyAlgorithm)
        n_envs = self.training_env.num_envs if self.training_env is not None else 1
        if len(self._open_places) != n_envs:  # a learn call that continues keeps them
            self._open_places = [{name: set() for name in PLACES} for _ in range(n_envs)]
        self._start = time.perf_counter()
        self._seconds = None
        if not self._started:
            self._next_record = self.num_timesteps + self.record_every
            self._start_steps = self.num_timesteps
        if self.csv_path is not None:
            self.csv_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.csv_path.open("a" if self._started else "w", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=COLUMNS)
            if not self._started:
                self._writer.writeheader()
        self._started = True

    def _on_step(self) -> bool:
        for i, info in enumerate(self.locals["infos"]):
            self._read(i, info)
            episode = info.get("episode")  # the Monitor's: a true episode, not a life lost
            if episode is not None:
                self._finish_episode(i, float(episode["r"]), int(episode["l"]))
        if self._record_on_step and self.num_timesteps >= self._next_record:
            self._record()
        return True

    def _read(self, i: int, info: dict[str, Any]) -> None:
        """Takes one env's step ``info`` into the counts."""
        if "state" in info:
            self.states.add(int(info["state"]))
        for name, keys in PLACES.items():
            if keys[-1] in info:
                place = tuple(info.get(k, 0) for k in keys)
                self.places[name].add(place)
                self._open_places[i][name].add(place)
        for key in RUN_MAXIMA:
            if key in info:
                self.maxima[key] = max(self.maxima.get(key, -np.inf), float(info[key]))
        if "intrinsic_reward" in info:
            self.intrinsic_sum += float(info["intrinsic_reward"])
            self.intrinsic_count += 1

    def _finish_episode(self, i: int, score: float, length: int) -> None:
        self.episodes += 1
        self.scores.append(score)
        self.lengths.append(length)
        if score > 0:
            self.solved += 1
            if self.first_solve_step < 0:
                self.first_solve_step = self.num_timesteps
        for name, seen in self._open_places[i].items():
            self.episode_places[name].append(len(seen))
            self._places_max[name] = max(self._places_max.get(name, 0), len(seen))
        self._open_places[i] = {name: set() for name in PLACES}

    def _on_rollout_end(self) -> None:
        if self.num_timesteps >= self._next_record:
            self._record()

    def _on_training_end(self) -> None:
        if self.num_timesteps > self._next_record - self.record_every:  # not yet recorded
            self._record()
        self._seconds = self._elapsed + time.perf_counter() - self._start
        self._elapsed = self._seconds
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None

    def _record(self) -> None:
        """Logs the metrics since the last record to SB3's logger and the CSV."""
        row = self._metrics(self._window_start, self._window_intrinsic)
        for key, value in row.items():
            if key != "steps":
                self.logger.record(f"exploration/{key}", value)
        if self._writer is not None:
            self._writer.writerow(row)
            self._file.flush()
        self._window_start = self.episodes
        self._window_intrinsic = (self.intrinsic_sum, self.intrinsic_count)
        self._next_record = self.num_timesteps + self.record_every
        drop = len(self.scores) - 100
        if drop > 0:
            del self.scores[:drop], self.lengths[:drop]
            for kept in self.episode_places.values():
                del kept[:drop]
            self._dropped += drop

    def _metrics(self, first: int, intrinsic_before: tuple[float, int]) -> dict[str, float]:
        """The metrics of episodes ``first:`` (counted over the run) and of the steps since
        ``intrinsic_before``."""
        first -= self._dropped
        seconds = self._seconds
        if seconds is None:
            seconds = self._elapsed + time.perf_counter() - self._start
        out: dict[str, float] = {
            "steps": self.num_timesteps,
            "seconds": round(seconds, 3),
            "steps_per_second": round(
                (self.num_timesteps - self._start_steps) / max(seconds, 1e-9), 1
            ),
            "episodes": self.episodes,
            "solved": self.solved,
        }
        if self.scores[first:]:
            out["score_mean"] = float(np.mean(self.scores[first:]))
            out["score_max"] = float(np.max(self.scores[first:]))
            out["episode_length_mean"] = float(np.mean(self.lengths[first:]))
        if self.states:
            out["states_discovered"] = len(self.states)
        total, count = self.intrinsic_sum - intrinsic_before[0], self.intrinsic_count
        if count > intrinsic_before[1]:
            out["intrinsic_reward_mean"] = total / (count - intrinsic_before[1])
        for name, seen in self.places.items():
            if seen:  # the env reports this kind of place
                out[f"{name}_total"] = len(seen)
                if self.scores[first:]:
                    out[f"{name}_per_episode_mean"] = float(
                        np.mean(self.episode_places[name][first:])
                    )
        for key, value in self.maxima.items():
            out[f"{key}_max"] = value
        return out

    def summary(self) -> dict[str, float]:
        """The whole run's metrics: :data:`COLUMNS` (absent: no data), ``first_solve_step``
        (-1: none) and ``<place>_per_episode_max``.

        Means over episodes are over the last 100 finished episodes, as SB3's
        ``rollout/ep_rew_mean``; maxima and totals are over the run.
        """
        out = self._metrics(max(self.episodes - 100, 0), (0.0, 0))
        out["first_solve_step"] = self.first_solve_step
        for name in PLACES:
            if self.places[name] and name in self._places_max:
                out[f"{name}_per_episode_max"] = self._places_max[name]
        return out

    def state_dict(self) -> dict[str, Any]:
        """The counters so far as plain containers (what a checkpoint keeps), at the end of
        a rollout or between rollouts: episodes in progress are not kept."""
        seconds = self._elapsed + (time.perf_counter() - self._start if self._started else 0.0)
        return {
            "states": sorted(self.states),
            "places": {
                name: sorted(tuple(int(v) for v in place) for place in seen)
                for name, seen in self.places.items()
            },
            "episodes": self.episodes,
            "solved": self.solved,
            "first_solve_step": self.first_solve_step,
            "scores": list(self.scores),
            "lengths": list(self.lengths),
            "episode_places": {name: list(n) for name, n in self.episode_places.items()},
            "dropped": self._dropped,
            "places_max": dict(self._places_max),
            "maxima": dict(self.maxima),
            "intrinsic": (self.intrinsic_sum, self.intrinsic_count),
            "window": (self._window_start, *self._window_intrinsic),
            "next_record": self._next_record,
            "start_steps": self._start_steps,
            "seconds": seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continues from :meth:`state_dict`'s counters: the next ``learn`` appends to the
        CSV, whose rows past ``state``'s last record (written after it was taken) are
        dropped first, so the file has no gap and no step twice."""
        self.states = set(state["states"])
        self.places = {name: {tuple(p) for p in seen} for name, seen in state["places"].items()}
        self.episodes, self.solved = state["episodes"], state["solved"]
        self.first_solve_step = state["first_solve_step"]
        self.scores, self.lengths = list(state["scores"]), list(state["lengths"])
        self.episode_places = {name: list(n) for name, n in state["episode_places"].items()}
        self._dropped, self._places_max = state["dropped"], dict(state["places_max"])
        self.maxima = dict(state["maxima"])
        self.intrinsic_sum, self.intrinsic_count = state["intrinsic"]
        start, *intrinsic = state["window"]
        self._window_start, self._window_intrinsic = start, (intrinsic[0], intrinsic[1])
        self._next_record, self._start_steps = state["next_record"], state["start_steps"]
        self._elapsed, self._seconds = state["seconds"], None
        self._open_places = []
        self._started = True
        if self.csv_path is not None:
            self._truncate_csv(self._next_record - self.record_every)

    def _truncate_csv(self, last_step: int) -> None:
        """Keeps the CSV's header and rows up to ``last_step``."""
        assert self.csv_path is not None
        header = ",".join(COLUMNS) + "\r\n"
        with self.csv_path.open(newline="") as file:
            lines = file.read().splitlines(keepends=True) or [header]  # killed before a row
        if lines[0] != header:
            raise CheckpointError(f"{self.csv_path} is not this callback's CSV: cannot append")
        rows = [line for line in lines[1:] if line.endswith("\n")]  # a cut-off row: dropped
        kept = [row for row in rows if int(row.split(",", 1)[0]) <= last_step]
        self.csv_path.write_text(lines[0] + "".join(kept), newline="")
