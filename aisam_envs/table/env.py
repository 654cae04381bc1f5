"""``aisam/TransitionTable-v0``: one agent walking a transition table."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aisam_envs._render import cell_strip, check_render_mode
from aisam_envs.errors import InvalidConfigError, ResetNeededError, check_action, check_int
from aisam_envs.table import rng
from aisam_envs.table.kinds import KINDS
from aisam_envs.table.observations import ObservationEncoder
from aisam_envs.table.tables import TransitionTable, check_kind_params, make_table


def build_world(
    owner: type,
    n_states: int,
    n_actions: int,
    kind: str,
    table_seed: int,
    obs_type: str,
    obs_dim: int,
    goal_states: Sequence[int] | None,
    goal_reward: float,
    start_state: int | None,
    table: TransitionTable | None,
    kind_params: dict[str, Any],
) -> tuple[TransitionTable, ObservationEncoder]:
    """The table and observation encoder shared by the single and the vector env.

    ``owner`` is the env class: keywords that are neither its own nor ``kind``'s are
    refused naming the closest valid one.
    """
    own = set(inspect.signature(owner.__init__).parameters) - {"self", "kind_params"}
    if (isinstance(kind, str) and kind in KINDS) or table is not None:
        check_kind_params(owner.__name__, own, kind if table is None else None, kind_params)
    table_seed = check_int("table_seed", table_seed, 0)  # it also seeds the embedding
    if table is None:
        table = make_table(
            kind,
            n_states,
            n_actions,
            seed=table_seed,
            goal_states=goal_states,
            goal_reward=goal_reward,
            start_state=start_state,
            **kind_params,
        )
    elif not isinstance(table, TransitionTable):
        raise InvalidConfigError(f"table must be a TransitionTable, got {type(table).__name__}")
    return table, ObservationEncoder(obs_type, table.n_states, obs_dim, table_seed)


def draw_start(table: TransitionTable, u: float) -> int:
    """The start state picked by uniform draw ``u`` (ignored for a fixed start)."""
    starts = table.start_states
    return int(starts[min(int(u * starts.size), starts.size - 1)])


class TransitionTableEnv(gym.Env[Any, np.int64]):
    """A walk on a transition table: states, actions, rewards and ends from its arrays.

    Reward is paid on entering a state (``table.rewards``) and entering a terminal
    state (a goal) ends the episode; the time limit comes from the registration
    (``max_episode_steps``, 100 unless overridden). ``info["state"]`` is the true state
    id whatever the observation type, and ``env.unwrapped.table`` holds the ground truth.

    Args:
        n_states: number of states S (>= 2).
        n_actions: number of actions A.
        kind: ``"random"``, ``"stochastic"``, ``"lock"`` or ``"clusters"``.
        table_seed: which table (episode randomness comes from ``reset(seed=...)``).
        obs_type: ``"discrete"``, ``"onehot"`` or ``"embedding"``.
        obs_dim: embedding length for ``obs_type="embedding"``.
        goal_states: states paying ``goal_reward`` and ending the episode.
        goal_reward: reward for entering a goal.
        start_state: start of every episode; ``None`` for uniformly random starts.
        table: a ready-made :class:`TransitionTable` (the generation arguments are
            then ignored).
        render_mode: ``"ansi"`` renders the state id as text, ``"rgb_array"`` as a strip of
            its binary digits (white 1, black 0; what SB3's ``make_vec_env`` asks for).
        **kind_params: the kind's own parameters (``n_successors``, ``concentration``,
            ``n_clusters``, ``n_bridges``).
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        n_states: int = 64,
        n_actions: int = 4,
        kind: str = "random",
        table_seed: int = 0,
        obs_type: str = "discrete",
        obs_dim: int = 16,
        goal_states: Sequence[int] | None = None,
        goal_reward: float = 1.0,
        start_state: int | None = 0,
        table: TransitionTable | None = None,
        render_mode: str | None = None,
        **kind_params: Any,
    ) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.table, self._encoder = build_world(
            type(self), n_states, n_actions, kind, table_seed, obs_type, obs_dim,
            goal_states, goal_reward, start_state, table, kind_params,
        )  # fmt: skip
        self.observation_space = self._encoder.space
        self.action_space = spaces.Discrete(self.table.n_actions)
        self._n_actions = self.table.n_actions
        self._key: int | None = None
        self._counter = 0
        self._state = -1
        self._done = True

    @property
    def state(self) -> int:
        """The current state id (-1 before the first reset)."""
        return self._state

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Starts an episode; ``seed`` fixes this and all later unseeded episodes."""
        if seed is not None:
            seed = check_int("seed", seed, 0)
        super().reset(seed=seed)
        if seed is not None:
            self._key, self._counter = rng.key_from_seed(seed), 0
        elif self._key is None:
            self._key, self._counter = int(self.np_random.integers(0, 2**63)), 0
        u = rng.uniform_int(self._key, self._counter) if self.table.start_state is None else 0.0
        self._counter += 1
        self._state = draw_start(self.table, u)
        self._done = False
        return self._encoder.encode(self._state), {"state": self._state}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Takes ``action`` (an int in ``[0, n_actions)``)."""
        if self._done:
            raise ResetNeededError(
                "step() called on an episode that has ended or not started: call reset() first"
            )
        a = check_action(action, self._n_actions)
        table, s = self.table, self._state
        if table.deterministic:
            nxt = int(table.next_states[s, a, 0])
        else:
            u = rng.uniform_int(self._key, self._counter)  # type: ignore[arg-type]
            slot = int(np.count_nonzero(u >= table.thresholds[s, a]))
            nxt = int(table.next_states[s, a, slot])
        self._counter += 1
        self._state = nxt
        terminated = bool(table.terminals[nxt])
        self._done = terminated
        obs = self._encoder.encode(nxt)
        return obs, float(table.rewards[nxt]), terminated, False, {"state": nxt}

    def render(self) -> str | np.ndarray | None:
        """The current state as text (``"ansi"``) or as an RGB strip of its binary digits,
        most significant first (``"rgb_array"``; all black before the first reset)."""
        if self.render_mode == "ansi":
            return f"state {self._state}/{self.table.n_states} ({self.table.kind} table)"
        if self.render_mode == "rgb_array":
            n_digits = (self.table.n_states - 1).bit_length()
            digits = (max(self._state, 0) >> np.arange(n_digits - 1, -1, -1)) & 1
            return cell_strip(digits * 2 - 1)
        return None
