"""Observations and actions as float feature vectors, for learned (torch) models.

``Discrete`` values become one-hot vectors (binary codes beyond ``ONE_HOT_LIMIT``
values, so a million-state table stays a 20-dim input), ``MultiDiscrete`` ones
concatenated one-hots (binary codes for the columns beyond ``ONE_HOT_LIMIT``), ``Box`` /
``MultiBinary`` arrays are flattened. Numpy only: the model moves the features to its
device.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from aisam_wrappers.errors import UnsupportedSpaceError
from aisam_wrappers.keys import column_offsets

ONE_HOT_LIMIT = 1024


class FeatureEncoder:
    """Encodes a batch of values of ``space`` as ``(n, dim)`` float32 features.

    Args:
        space: a single-env observation or action space.
        what: ``"observation"`` or ``"action"`` (for the error messages).
    """

    def __init__(self, space: spaces.Space, what: str = "observation") -> None:
        self.space = space
        self.what = what
        self.is_box = isinstance(space, spaces.Box)
        self.is_discrete = isinstance(space, spaces.Discrete | spaces.MultiDiscrete)
        if self.is_discrete:  # a Discrete space is one column
            multi = isinstance(space, spaces.MultiDiscrete)
            nvec = np.asarray(space.nvec if multi else space.n, dtype=np.int64).reshape(-1)
            self._nvec = nvec.astype(np.uint64)
            self._start = np.asarray(space.start, dtype=np.int64).reshape(-1)
            bits = np.array(
                [0 if n <= ONE_HOT_LIMIT else (n - 1).bit_length() for n in nvec.tolist()],
                dtype=np.int64,
            )
            widths = np.where(bits > 0, bits, nvec)
            offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
            self._hot = np.flatnonzero(bits == 0)  # the one-hot columns
            self._hot_offsets = offsets[self._hot]
            self._binary = np.flatnonzero(bits)  # the binary-coded ones, bit b of each at
            self._bit = np.arange(bits.max(initial=0))  # features offset + b, b < its bits
            self._bit_mask = self._bit < bits[self._binary, None]
            self._bit_columns = (offsets[self._binary, None] + self._bit)[self._bit_mask]
            self.dim = int(widths.sum())
        elif isinstance(space, (spaces.Box, spaces.MultiBinary)):
            self.dim = int(np.prod(space.shape))
        else:
            raise UnsupportedSpaceError(
                f"learned models encode Discrete, MultiDiscrete, Box and MultiBinary "
                f"{what}s, not {space}; pass model=<your PredictiveModel> that handles it"
            )

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """``(n, dim)`` float32 features of ``values`` (a batch in the space's format)."""
        values = np.asarray(values)
        n = len(values)
        if not self.is_discrete:
            return values.reshape(n, -1).astype(np.float32)
        idx = column_offsets(values, self._start, self._nvec, self.space, self.what)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if self._hot.size:
            out[np.arange(n)[:, None], idx[:, self._hot] + self._hot_offsets] = 1.0
        if self._binary.size:
            codes = (idx[:, self._binary, None] >> self._bit) & 1
            out[:, self._bit_columns] = codes[:, self._bit_mask]
        return out
