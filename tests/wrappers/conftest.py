"""The ``scripted`` fixture: :class:`bonus_helpers.ScriptedEnv`, the class itself."""

from __future__ import annotations

import pytest
from bonus_helpers import ScriptedEnv


@pytest.fixture
def scripted() -> type[ScriptedEnv]:
    return ScriptedEnv
