"""The batch every bonus and predictive model reads: :class:`Transitions`.

One row per transition ``obs --action--> next_obs``; the adapters build one batch per
vector step (one row per env) and the mixer restricts it to the real transitions with
:meth:`Transitions.take`. :class:`RowsView` is its ``infos``: per-env info as a
mapping of ``(n,)`` arrays, whichever of gymnasium's or SB3's info formats it came in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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


class Transitions:
    """A batch of ``n`` transitions ``obs --actions--> next_obs``, one row each; read-only.

    Arrays are in the env's own format: observations ``(n,)`` for ``Discrete`` spaces,
    ``(n, *shape)`` otherwise; actions ``(n,)`` for ``Discrete`` (``(n, *shape)``
    otherwise). The adapters fill every field; a batch built by hand (a test, a direct
    call to a model) may leave out what its reader does not use. :meth:`take` restricts
    the batch to some rows lazily, so a bonus pays only for the fields it reads.

    Args:
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

    __slots__ = ("_arrays", "_infos", "_rows", "_taken")

    def __init__(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        next_obs: np.ndarray,
        rewards: np.ndarray | None = None,
        dones: np.ndarray | None = None,
        infos: RowsView = NO_INFOS,
        env_ids: np.ndarray | None = None,
    ) -> None:
        self._arrays = (obs, actions, next_obs, rewards, dones, env_ids)
        self._infos = infos
        self._rows: np.ndarray | None = None  # a view of these rows of ``_arrays``
        self._taken: list[np.ndarray | None] = []  # a view's gathered arrays

    def _array(self, i: int) -> np.ndarray | None:
        """Field ``i`` of ``_arrays``, restricted to this view's rows (gathered once)."""
        value = self._arrays[i]
        if self._rows is None or value is None:
            return value
        taken = self._taken[i]
        if taken is None:
            taken = self._taken[i] = value[self._rows]
        return taken

    @property
    def obs(self) -> np.ndarray:
        """Observations before the step, ``(n, *obs_shape)``."""
        return self._array(0)

    @property
    def actions(self) -> np.ndarray:
        """The actions taken, ``(n, *act_shape)``."""
        return self._array(1)

    @property
    def next_obs(self) -> np.ndarray:
        """The observations the actions led to, ``(n, *obs_shape)``."""
        return self._array(2)

    @property
    def rewards(self) -> np.ndarray | None:
        """The env's (extrinsic) rewards ``(n,)``, or ``None``."""
        return self._array(3)

    @property
    def dones(self) -> np.ndarray | None:
        """Episode ends (terminated or truncated) ``(n,)`` bool, or ``None``."""
        return self._array(4)

    @property
    def env_ids(self) -> np.ndarray | None:
        """The env of each row ``(n,)`` int, or ``None``."""
        return self._array(5)

    @property
    def infos(self) -> RowsView:
        """The step's info, per row."""
        return self._infos

    def __len__(self) -> int:
        return len(self._arrays[0]) if self._rows is None else len(self._rows)

    def __repr__(self) -> str:
        names = ("obs", "actions", "next_obs", "rewards", "dones", "env_ids")
        given = [name for name, a in zip(names, self._arrays, strict=True) if a is not None]
        return f"Transitions({len(self)} rows: {', '.join(given)})"

    def take(self, rows: np.ndarray) -> Transitions:
        """The batch restricted to ``rows`` (indices into this batch).

        A view: each array's rows are gathered when it is first read (then kept), so read
        it before the arrays it views change (an env may reuse its buffers next step).
        """
        view = Transitions.__new__(Transitions)
        view._arrays = self._arrays
        view._infos = self._infos.take(rows)
        view._rows = rows if self._rows is None else self._rows[rows]
        view._taken = [None] * len(self._arrays)
        return view

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
