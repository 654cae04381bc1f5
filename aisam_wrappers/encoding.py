"""Observations and actions as float feature vectors, for learned (torch) models.

``Discrete`` values become one-hot vectors (binary codes beyond ``ONE_HOT_LIMIT``
values, so a million-state table stays a 20-dim input), ``MultiDiscrete`` ones
concatenated one-hots, ``Box`` / ``MultiBinary`` arrays are flattened. Numpy only:
the model moves the features to its device.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from aisam_wrappers.errors import UnsupportedSpaceError

ONE_HOT_LIMIT = 1024


class FeatureEncoder:
    """Encodes a batch of values of ``space`` as ``(n, dim)`` float32 features.

    Args:
        space: a single-env observation or action space.
        what: ``"observation"`` or ``"action"`` (for the error message).
    """

    def __init__(self, space: spaces.Space, what: str = "observation") -> None:
        self.space = space
        self.is_box = isinstance(space, spaces.Box)
        if isinstance(space, spaces.Discrete):
            n = int(space.n)
            self._bits = 0 if n <= ONE_HOT_LIMIT else int(np.ceil(np.log2(n)))
            self.dim = n if self._bits == 0 else self._bits
        elif isinstance(space, spaces.MultiDiscrete):
            self._nvec = np.asarray(space.nvec, dtype=np.int64).reshape(-1)
            self._offsets = np.concatenate([[0], np.cumsum(self._nvec)[:-1]])
            self.dim = int(self._nvec.sum())
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
        if isinstance(self.space, spaces.Discrete):
            idx = values.reshape(n).astype(np.int64) - int(self.space.start)
            if self._bits:
                return ((idx[:, None] >> np.arange(self._bits)) & 1).astype(np.float32)
            out = np.zeros((n, self.dim), dtype=np.float32)
            out[np.arange(n), idx] = 1.0
            return out
        if isinstance(self.space, spaces.MultiDiscrete):
            idx = values.reshape(n, -1).astype(np.int64) - np.asarray(self.space.start).reshape(-1)
            out = np.zeros((n, self.dim), dtype=np.float32)
            out[np.arange(n)[:, None], idx + self._offsets] = 1.0
            return out
        return values.reshape(n, -1).astype(np.float32)
