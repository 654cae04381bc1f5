"""The batch every bonus and predictive model reads: :class:`Transitions`.

One row per transition ``obs --action--> next_obs``; the adapters build one batch per
vector step (one row per env) and the mixer restricts it to the real transitions with
:meth:`Transitions.take`. :class:`RowsView` is its ``infos``: per-env info as a
mapping of ``(n,)`` arrays, whichever of gymnasium's or SB3's info formats it came in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class RowsView(Mapping[str, Any]):
    """Per-env info as a mapping of ``(n,)`` arrays, built lazily key by key.

    Args:
        infos: a gymnasium vector info dict or an SB3 list of per-env info dicts.
        rows: the env indices to keep (``None``: all).
    """

    def __init__(
        self, infos: Mapping[str, Any] | list[dict[str, Any]], rows: np.ndarray | None = None
    ) -> None:
        self._infos = infos
        self._rows = rows

    def take(self, rows: np.ndarray) -> RowsView:
        """The same view restricted to ``rows``."""
        return RowsView(self._infos, rows if self._rows is None else self._rows[rows])

    def __getitem__(self, key: str) -> Any:
        infos = self._infos
        if isinstance(infos, Mapping):
            value = np.asarray(infos[key])
        else:
            value = np.asarray([info[key] for info in infos])
        return value if self._rows is None else value[self._rows]

    def __iter__(self) -> Iterator[str]:
        infos = self._infos
        return iter(infos if isinstance(infos, Mapping) else (infos[0] if infos else ()))

    def __len__(self) -> int:
        infos = self._infos
        return len(infos) if isinstance(infos, Mapping) else (len(infos[0]) if infos else 0)


#: the ``infos`` of a batch that has none
NO_INFOS = RowsView({})


@dataclass(frozen=True, slots=True)
class Transitions:
    """A batch of ``n`` transitions ``obs --actions--> next_obs``, one row each.

    Arrays are in the env's own format: observations ``(n,)`` for ``Discrete`` spaces,
    ``(n, *shape)`` otherwise; actions ``(n,)`` for ``Discrete`` (``(n, *shape)``
    otherwise). The adapters fill every field; a batch built by hand (a test, a direct
    call to a model) may leave out what its reader does not use.

    Attributes:
        obs: observations before the step, ``(n, *obs_shape)``.
        actions: the actions taken, ``(n, *act_shape)``.
        next_obs: the observations they led to (an ended episode's true last one, never
            the reset observation), ``(n, *obs_shape)``.
        rewards: the env's (extrinsic) rewards ``(n,)``, or ``None``.
        dones: episode ends, terminated or truncated, ``(n,)`` bool, or ``None``.
        infos: the step's info, per row (see :class:`RowsView`).
        env_ids: the env of each row ``(n,)`` int, or ``None`` (then bonuses with
            per-env memory cannot read the batch).
    """

    obs: np.ndarray
    actions: np.ndarray
    next_obs: np.ndarray
    rewards: np.ndarray | None = None
    dones: np.ndarray | None = None
    infos: RowsView = field(default_factory=lambda: NO_INFOS)
    env_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.obs)

    def take(self, rows: np.ndarray) -> Transitions:
        """The batch restricted to ``rows`` (indices into this batch)."""
        return Transitions(
            self.obs[rows],
            self.actions[rows],
            self.next_obs[rows],
            None if self.rewards is None else self.rewards[rows],
            None if self.dones is None else self.dones[rows],
            self.infos.take(rows),
            None if self.env_ids is None else self.env_ids[rows],
        )

    @classmethod
    def concat(cls, parts: Sequence[Transitions]) -> Transitions:
        """One batch of the rows of ``parts``, in order, in new arrays.

        Info belongs to the step it came with, so the result has none; a field that
        one part lacks (``None``) is ``None`` in the result.
        """

        def joined(name: str) -> np.ndarray | None:
            arrays = [getattr(part, name) for part in parts]
            return None if any(a is None for a in arrays) else np.concatenate(arrays)

        return cls(
            joined("obs"),
            joined("actions"),
            joined("next_obs"),
            joined("rewards"),
            joined("dones"),
            NO_INFOS,
            joined("env_ids"),
        )
