"""Shaped Pokemon Red reward, itemised by term.

In the style of the established Pokemon Red RL environments (PokemonRedExperiments and
its descendants): the game's own reward is far too sparse (a badge every few hours), so
progress signals read from RAM are paid out as they happen. Each term pays a weight times
the *increase* of one episode-level measure, so a step's reward is the sum of

==========  ==========================================================================
term        paid for (weight unit)
==========  ==========================================================================
explore     each ``(map_id, x, y)`` tile first stood on this episode
level       each level added to the highest party level sum seen this episode
badge       each badge beyond the most held this episode
event       each story event flag beyond the most set this episode
heal        party HP restored, in whole-party units (total HP / total max HP); healing
            out of a wipe (the Pokemon Center after a blackout) is not paid
death       each party wipe (total HP falls to 0); the weight is negative
==========  ==========================================================================

Measures that only count maxima cannot be farmed by losing and regaining progress
(depositing a Pokemon, then withdrawing it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from numbers import Real

from aisam_envs.errors import InvalidConfigError, unknown_keywords_error
from aisam_envs.pokemon.ram import GameState

__all__ = ["REWARD_TERMS", "RewardConfig", "RewardTracker"]

#: The reward terms, in the order of ``info["reward_terms"]``.
REWARD_TERMS: tuple[str, ...] = ("explore", "level", "badge", "event", "heal", "death")


@dataclass(frozen=True)
class RewardConfig:
    """Weights of the reward terms (see the module docstring); 0 switches a term off.

    Attributes:
        explore: per new ``(map_id, x, y)`` tile.
        level: per level added to the episode's highest party level sum.
        badge: per new badge.
        event: per new event flag.
        heal: per whole party's worth of HP restored.
        death: per party wipe (negative: a penalty).
    """

    explore: float = 0.1
    level: float = 1.0
    badge: float = 10.0
    event: float = 1.0
    heal: float = 4.0
    death: float = -1.0

    def __post_init__(self) -> None:
        """Refuses weights that are not finite numbers: one NaN or inf makes every reward so."""
        for name, weight in self.as_dict().items():
            if (
                isinstance(weight, bool)
                or not isinstance(weight, Real)
                or not math.isfinite(weight)
            ):
                raise InvalidConfigError(
                    f"reward_config weight {name!r} must be a finite number, got {weight!r}"
                )
            object.__setattr__(self, name, float(weight))  # numpy scalars too

    @classmethod
    def create(cls, value: RewardConfig | Mapping[str, float] | None) -> RewardConfig:
        """A config from a config, a ``{term: weight}`` mapping (others default) or ``None``."""
        if value is None:
            return cls()
        if isinstance(value, RewardConfig):
            return value
        if not isinstance(value, Mapping):
            raise InvalidConfigError(
                "reward_config must be a RewardConfig or a dict of weights, "
                f"got {type(value).__name__}"
            )
        unknown = set(value) - set(REWARD_TERMS)
        if unknown:
            raise unknown_keywords_error("reward_config", unknown, REWARD_TERMS, noun="term")
        return cls(**value)

    def as_dict(self) -> dict[str, float]:
        """``{term: weight}`` in :data:`REWARD_TERMS` order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class RewardTracker:
    """Keeps one episode's progress measures and turns each new game state into reward.

    Args:
        config: the term weights.
    """

    def __init__(self, config: RewardConfig) -> None:
        self.config = config
        self.seen: set[tuple[int, int, int]] = set()
        self._max_level_sum = 0
        self._max_badges = 0
        self._max_events = 0
        self._hp_fraction = 0.0
        self._party_size = 0

    @property
    def tiles_seen(self) -> int:
        """Distinct ``(map_id, x, y)`` tiles stood on this episode."""
        return len(self.seen)

    def reset(self, state: GameState) -> None:
        """Starts an episode at ``state``: nothing in it is paid for."""
        self.seen = {(state.map_id, state.x, state.y)}
        self._max_level_sum = sum(state.levels)
        self._max_badges = state.badges
        self._max_events = state.event_flags
        self.rebase(state)

    def rebase(self, state: GameState) -> None:
        """Continues the episode from a restored ``state`` (``load_state``).

        The episode's memory (tiles seen, maxima) is kept; only the HP baseline, which
        compares consecutive steps, is re-read so the jump is not paid as heal or death.
        """
        self._hp_fraction = state.hp_fraction
        self._party_size = state.party_size

    def step(self, state: GameState) -> tuple[float, dict[str, float]]:
        """Rewards the move to ``state``: ``(total, {term: reward})``."""
        c = self.config
        explore = level = badge = event = heal = death = 0.0
        tile = (state.map_id, state.x, state.y)
        if tile not in self.seen:
            self.seen.add(tile)
            explore = c.explore
        level_sum = sum(state.levels)
        if level_sum > self._max_level_sum:
            level = c.level * (level_sum - self._max_level_sum)
            self._max_level_sum = level_sum
        if state.badges > self._max_badges:
            badge = c.badge * (state.badges - self._max_badges)
            self._max_badges = state.badges
        if state.event_flags > self._max_events:
            event = c.event * (state.event_flags - self._max_events)
            self._max_events = state.event_flags
        fraction, previous = state.hp_fraction, self._hp_fraction
        if state.party_size == self._party_size:  # a new Pokemon is not a heal
            if fraction > previous > 0.0:
                heal = c.heal * (fraction - previous)
            elif previous > 0.0 and fraction == 0.0:
                death = c.death
        self._hp_fraction, self._party_size = fraction, state.party_size
        terms = {
            "explore": explore,
            "level": level,
            "badge": badge,
            "event": event,
            "heal": heal,
            "death": death,
        }
        return explore + level + badge + event + heal + death, terms
