"""Shared pieces of the property-based bad-input tests: values of every kind, and the one
rule each call must keep.

The rule: a call with any keywords either works or raises an :class:`AisamError` whose
message names one of the keywords given (or the spelling the message uses for it); never
an exception from inside a dependency. Legal but long settings (``n_epochs=10**12``) are
built, not run, so every example is quick and a hang would show as a stuck test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from aisam_envs.errors import AisamError

FAST = settings(
    max_examples=60,
    deadline=None,  # torch's first model takes seconds: a deadline would be flaky
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples on every run: CI failures reproduce
)

GARBAGE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([-(2**63), 2**63, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.text(max_size=4),
    st.sampled_from(
        [[], [1, 2], (0,), {}, {"x": 1}, np.int64(2), np.float32(0.5), np.array([1, 2]), b"x"]
    ),
)
"""Values of every kind a caller might pass by mistake."""


def keywords(valid: Mapping[str, Iterable[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts of some of ``valid``'s keywords, each with one of its valid values or garbage."""
    return st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.sampled_from(list(values)), GARBAGE)
            for name, values in valid.items()
        },
    )


def call_or_aisam_error(
    make: Callable[[], Any], given: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Any:
    """``make()``'s result, or None when it raised an :class:`AisamError` naming one of the
    ``given`` keywords (``aliases`` maps a keyword to another name a message may use for
    it). Any other exception propagates and fails the test."""
    try:
        return make()
    except AisamError as exc:
        names = set(given) | {aliases[n] for n in given if aliases and n in aliases}
        message = str(exc)
        assert any(re.search(rf"\b{re.escape(n)}\b", message) for n in names), (
            f"{type(exc).__name__} names none of {sorted(names)}: {message}"
        )
        return None
