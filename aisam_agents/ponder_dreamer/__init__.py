"""PonderDreamer: a PonderNet actor and a critic trained in a world model's imagination.

>>> from aisam_agents import PonderDreamer  # doctest: +SKIP
>>> agent = PonderDreamer("auto", env).learn(5_000)  # doctest: +SKIP
"""

from __future__ import annotations

from aisam_agents.ponder_dreamer.agent import PonderDreamer
from aisam_agents.ponder_dreamer.networks import Critic, MlpActor, PonderActor, actor_loss
from aisam_agents.ponder_dreamer.returns import (
    PercentileNormalizer,
    TwoHot,
    lambda_returns,
    symexp,
    symlog,
)

__all__ = [
    "Critic",
    "MlpActor",
    "PercentileNormalizer",
    "PonderActor",
    "PonderDreamer",
    "TwoHot",
    "actor_loss",
    "lambda_returns",
    "symexp",
    "symlog",
]
