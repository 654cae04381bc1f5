"""LearnMax: a world-model agent that plans toward what it can still learn.

See :mod:`aisam_agents.learnmax.agent` and docs/learnmax.md.
"""

from aisam_agents.learnmax.agent import LearnMax
from aisam_agents.learnmax.criteria import CRITERIA, EnsembleHeads
from aisam_agents.learnmax.salience import SalientEvent
from aisam_agents.learnmax.search import SearchResult, beam_search

__all__ = ["CRITERIA", "EnsembleHeads", "LearnMax", "SalientEvent", "SearchResult", "beam_search"]
