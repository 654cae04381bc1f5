"""LearnMax: act by searching the world model's imagined futures for what it can still learn.

Every env step goes to a :class:`~aisam_agents.replay.SequenceReplay`; the world model
(and, for the ``"disagreement"`` criterion, its ensemble heads) trains on sampled windows at
``train_ratio`` updates per env step; for the ``"infogain"`` criteria the agent also
counts the visits of every (frame tokens, action) context it learns from
(:mod:`~aisam_agents.learnmax.counts`). To act, a batched beam search of depth ``H`` and
width ``K`` (:func:`~aisam_agents.learnmax.search.beam_search`) runs from every env's
recent history in one batch; a branch's value is
``sum_h discount**(h-1) [u_h + reward_coef * r_h]`` (the plain sum by default) with ``u_h``
the criterion's expected learning at imagined step ``h``
(:mod:`~aisam_agents.learnmax.criteria`) and ``r_h`` the predicted reward, plus an optional
value past the horizon (a learned MLP, :mod:`~aisam_agents.learnmax.value`, or value
iteration on the graph of observed frames, :mod:`~aisam_agents.learnmax.frontier`), and the agent
takes the first action of the best branch (a uniformly random one with probability
``epsilon``).

Training and episode boundaries: :mod:`~aisam_agents.learnmax.learner`. The search does not
use the predicted termination (transitions that end an episode are not learned).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.callbacks import (
    BaseCallback,
    CallbackList,
    ConvertCallback,
    ProgressBarCallback,
)
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.utils import configure_logger, is_vectorized_observation
from stable_baselines3.common.vec_env import VecEnv

from aisam_agents.learnmax.checkpoint import load_agent, save_agent
from aisam_agents.learnmax.counts import ContextCounts
from aisam_agents.learnmax.criteria import COUNTED, EnsembleHeads, check_criterion, step_value
from aisam_agents.learnmax.frontier import FrontierValue
from aisam_agents.learnmax.learner import OnlineLearner
from aisam_agents.learnmax.salience import SalienceDetector, SalientEvent
from aisam_agents.learnmax.search import LeafValueFn, Scorer, SearchResult, beam_search
from aisam_agents.learnmax.value import LeafValue
from aisam_agents.learnmax.vec import as_vec_env
from aisam_agents.replay import MAX_BUFFER
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_agents.world_model.imagination import NextFrameDistribution
from aisam_envs.errors import InvalidConfigError, check_bool, check_int, check_real

_MAX_TARGETS = 32  # salient observations the search aims at (the newest)
LEAF_VALUES = ("mlp", "frontier")


def _check_leaf_value(leaf_value: object) -> str | None:
    """``leaf_value`` as ``None``, ``"mlp"`` or ``"frontier"`` (``False``/``True``: ``None``
    and ``"mlp"``, the boolean switch it used to be)."""
    if leaf_value is None or leaf_value is False:
        return None
    if leaf_value is True:
        return "mlp"
    if isinstance(leaf_value, str) and leaf_value in LEAF_VALUES:
        return leaf_value
    raise InvalidConfigError(
        f"leaf_value must be None, 'mlp' or 'frontier' (or a bool), got {leaf_value!r}"
    )


def _build_world_model(
    world_model: WorldModel | WorldModelConfig | str | None,
    observation_space: spaces.Space,
    action_space: spaces.Space,
    seed: int,
    device: str,
) -> WorldModel:
    """The world model from an instance (checked against the spaces), a config or a preset
    name (``None``: ``"tiny"``); built ones take the agent's ``seed`` and ``device``."""
    if isinstance(world_model, WorldModel):
        same_obs = world_model.observation_space == observation_space
        if not same_obs or world_model.action_space != action_space:
            raise InvalidConfigError(
                f"the world model was built for {world_model.observation_space} / "
                f"{world_model.action_space}, the env has {observation_space} / {action_space}"
            )
        return world_model
    if world_model is None or isinstance(world_model, str):
        config = WorldModelConfig.preset(world_model or "tiny")
    elif isinstance(world_model, WorldModelConfig):
        config = world_model
    else:
        raise InvalidConfigError(
            "world_model must be a WorldModel, a WorldModelConfig, a preset name or None, "
            f"got {type(world_model).__name__}"
        )
    return WorldModel(
        observation_space, action_space, dataclasses.replace(config, seed=seed, device=device)
    )


class LearnMax:
    """A model-based explorer with the shape of an SB3 algorithm (see the module docstring).

    Args:
        policy: ``"auto"`` (or SB3's ``"MlpPolicy"``/``"CnnPolicy"``, accepted so that SB3
            scripts and ``aisam train`` work): the policy is the search itself.
        env: a gymnasium env (or its id) or an SB3 ``VecEnv`` with a Discrete action space.
        world_model: a :class:`WorldModel` built for the env's spaces, a
            :class:`WorldModelConfig`, a preset name, or ``None`` (the ``"tiny"`` preset,
            which learns a small table on a CPU in seconds).
        horizon: search depth H (1 <= H <= the model's ``max_frames``).
        width: branches K kept per env at each depth.
        criterion: ``"infogain"`` (default), ``"infogain_full"``, ``"disagreement"``,
            ``"entropy"`` or ``"reverse"`` (:mod:`~aisam_agents.learnmax.criteria`).
        prior_count: the information gains' weight of the uniform prior over next tokens (> 0;
            larger: a context stays uncertain over more visits).
        reward_coef: weight of the predicted reward in a branch's value.
        epsilon: probability of a uniformly random action.
        train_ratio: world-model updates per env step (all envs' steps count; > 0).
        batch_size: windows per update.
        buffer_size: replay capacity in steps over all envs.
        learning_starts: env steps (all envs) before the first update.
        n_heads, head_hidden, prior_scale: the ensemble of the ``"disagreement"`` criterion.
        head_learning_rate: Adam step size of the ensemble heads.
        leaf_value: a value of what follows the search's last step, so it sees past its
            horizon: ``"mlp"`` (or ``True``) learns one on the step's features
            (:mod:`~aisam_agents.learnmax.value`); ``"frontier"`` runs value iteration on
            the graph of observed frames toward untried contexts
            (:mod:`~aisam_agents.learnmax.frontier`; needs a counted criterion and
            ``discount`` < 1); ``None``/``False``: none.
        discount: weight ``discount**(h-1)`` of step ``h`` in a branch's value (1: the
            plain sum; use < 1 with ``leaf_value``, whose targets bootstrap).
        frontier_sweeps: value-iteration sweeps of the ``"frontier"`` value per acting
            step (values travel one step of the graph per sweep).
        salience_threshold: outlook changes beyond this many standard deviations are
            salient (:mod:`~aisam_agents.learnmax.salience`).
        plan_to_salient: add ``salient_coef`` times the best token match between an
            imagined frame and the newest salient observations to that step's value, so
            the search steers back to salient states.
        salient_coef: weight of that match.
        max_salient_events: salient events kept (the oldest are dropped).
        log_interval: env steps (all envs) between two dumps of the logger.
        tensorboard_log: tensorboard folder (SB3's logger), or ``None``.
        verbose: 0 quiet, 1 prints the logger's table.
        seed: seeds the world model (when built here), the heads, the replay sampler, the
            tie-breaking and random actions, and the env; ``None`` draws one.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:i]"`` (models and replay).

    Raises:
        InvalidConfigError: a continuous action space, a world model for other spaces,
            ``H``/``K`` < 1, ``train_ratio`` <= 0, an unknown criterion or policy.
    """

    #: its files are read with ``torch.load(weights_only=True)``: loading runs no code
    weights_only_files = True

    policy_aliases: dict[str, str] = {
        "auto": "search",
        "MlpPolicy": "search",
        "CnnPolicy": "search",
    }

    def __init__(
        self,
        policy: str,
        env: Any,
        world_model: WorldModel | WorldModelConfig | str | None = None,
        *,
        horizon: int = 4,
        width: int = 8,
        criterion: str = "infogain",
        prior_count: float = 1.0,
        reward_coef: float = 0.0,
        epsilon: float = 0.05,
        train_ratio: float = 0.5,
        batch_size: int = 32,
        buffer_size: int = 100_000,
        learning_starts: int = 64,
        n_heads: int = 5,
        head_hidden: int = 128,
        prior_scale: float = 1.0,
        head_learning_rate: float = 1e-3,
        leaf_value: bool | str | None = False,
        discount: float = 1.0,
        frontier_sweeps: int = 32,
        salience_threshold: float = 4.0,
        plan_to_salient: bool = False,
        salient_coef: float = 1.0,
        max_salient_events: int = 1000,
        log_interval: int = 1000,
        tensorboard_log: str | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: str = "auto",
    ) -> None:
        if policy not in self.policy_aliases:
            raise InvalidConfigError(
                f"unknown policy {policy!r}; LearnMax acts by search: use 'auto'"
            )
        self.env = as_vec_env(env)
        self.n_envs = self.env.num_envs
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        if not isinstance(self.action_space, spaces.Discrete):
            raise InvalidConfigError(
                f"LearnMax needs a Discrete action space, got {self.action_space}"
            )
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31))
        self.seed = check_int("seed", seed, 0, 2**63 - 1)
        self.params: dict[str, Any] = {
            "horizon": check_int("horizon", horizon, 1),
            "width": check_int("width", width, 1),
            "criterion": check_criterion(criterion),
            "prior_count": check_real("prior_count", prior_count),
            "reward_coef": check_real("reward_coef", reward_coef),
            "epsilon": check_real("epsilon", epsilon),
            "train_ratio": check_real("train_ratio", train_ratio),
            "batch_size": check_int("batch_size", batch_size, 1),
            "buffer_size": check_int("buffer_size", buffer_size, 1, MAX_BUFFER),
            "learning_starts": check_int("learning_starts", learning_starts, 0),
            "n_heads": check_int("n_heads", n_heads, 2),
            "head_hidden": check_int("head_hidden", head_hidden, 1),
            "prior_scale": check_real("prior_scale", prior_scale),
            "head_learning_rate": check_real("head_learning_rate", head_learning_rate),
            "leaf_value": _check_leaf_value(leaf_value),
            "discount": check_real("discount", discount),
            "frontier_sweeps": check_int("frontier_sweeps", frontier_sweeps, 1),
            "salience_threshold": check_real("salience_threshold", salience_threshold),
            "plan_to_salient": check_bool("plan_to_salient", plan_to_salient),
            "salient_coef": check_real("salient_coef", salient_coef),
            "max_salient_events": check_int("max_salient_events", max_salient_events, 0),
            "log_interval": check_int("log_interval", log_interval, 1),
        }
        for name in ("train_ratio", "head_learning_rate", "salience_threshold", "prior_count"):
            if not self.params[name] > 0:
                raise InvalidConfigError(f"{name} must be > 0, got {self.params[name]}")
        if not 0 <= self.params["epsilon"] <= 1 or self.params["prior_scale"] < 0:
            raise InvalidConfigError("epsilon must be in [0, 1] and prior_scale >= 0")
        if not 0 < self.params["discount"] <= 1:
            raise InvalidConfigError(f"discount must be in (0, 1], got {discount}")
        frontier = self.params["leaf_value"] == "frontier"
        if frontier and (self.params["criterion"] not in COUNTED or self.params["discount"] == 1):
            raise InvalidConfigError(
                f"leaf_value='frontier' needs a counted criterion {COUNTED} and discount < 1 "
                f"(e.g. 0.99; its values sum over unbounded paths), got {criterion!r} and "
                f"{discount}"
            )
        self.model = _build_world_model(
            world_model, self.observation_space, self.action_space, self.seed, device
        )
        if self.params["horizon"] > self.model.config.max_frames:
            raise InvalidConfigError(
                f"horizon {horizon} exceeds the world model's max_frames "
                f"({self.model.config.max_frames}): a search must fit its context"
            )
        self.device = self.model.device
        self.verbose, self.tensorboard_log = verbose, tensorboard_log
        self._setup()

    # ----------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> None:
        """Writes the agent to ``path`` (:func:`~aisam_agents.learnmax.checkpoint.save_agent`:
        everything but the replay's contents)."""
        save_agent(self, Path(path))

    @classmethod
    def load(cls, path: str | Path, env: Any = None, device: str = "auto") -> LearnMax:
        """An agent saved by :meth:`save`, on ``env`` (``None``: :meth:`predict` only, until
        :meth:`set_env`) and ``device``.

        Raises:
            CheckpointError: a missing, corrupt or inconsistent file.
            InvalidConfigError: a bad ``device``, or an ``env`` of other spaces.
        """
        return load_agent(cls, Path(path), env, device)

    # ----------------------------------------------------------------- set-up
    def _setup(self) -> None:
        """Heads, replay, histories, random streams and counters (from params and seed)."""
        p, model = self.params, self.model
        self.heads: EnsembleHeads | None = None
        if p["criterion"] == "disagreement":
            self.heads = EnsembleHeads(
                model.transformer.n_embd,
                model.tokenizer.tokens_per_frame,
                model.tokenizer.vocab_size,
                p["n_heads"],
                p["head_hidden"],
                p["prior_scale"],
                self.seed,
            ).to(self.device)
        self.counts: ContextCounts | None = None
        if p["criterion"] in COUNTED:
            self.counts = ContextCounts(model.tokenizer.tokens_per_frame, self.seed, self.device)
        self.value: LeafValue | None = None
        if p["leaf_value"] == "mlp":
            self.value = LeafValue(model.transformer.n_embd, seed=self.seed).to(self.device)
            self.value_optimizer = self.value.make_optimizer()
        self.frontier: FrontierValue | None = None
        if p["leaf_value"] == "frontier" and self.counts is not None:
            self.frontier = FrontierValue(
                self.counts,
                int(self.action_space.n),
                model.tokenizer.vocab_size,
                model.tokenizer.tokens_per_frame,
                p["prior_count"],
                p["discount"],
                p["frontier_sweeps"],
            )
        self.learner = OnlineLearner(
            model,
            self.heads,
            self.observation_space,
            self.action_space,
            self.n_envs,
            p["buffer_size"],
            p["batch_size"],
            p["train_ratio"],
            p["learning_starts"],
            p["head_learning_rate"],
            self.seed,
        )
        self.context = model.config.max_frames - p["horizon"] + 1  # history frames searched
        self.generator = torch.Generator(self.device).manual_seed(self.seed)
        self.rng = np.random.default_rng(self.seed)
        self.num_timesteps = 0
        self.imagined_transitions = 0
        self._last_obs: np.ndarray | None = None
        self._history: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.salience = SalienceDetector(self.n_envs, p["salience_threshold"])
        self.salient_events: list[SalientEvent] = []
        self._logger: Logger | None = None

    # ----------------------------------------------------------------- SB3 surface
    @property
    def logger(self) -> Logger:
        """SB3's logger (configured on the first :meth:`learn` unless set)."""
        if self._logger is None:
            self._logger = configure_logger(self.verbose, self.tensorboard_log, "LearnMax")
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        """Uses ``logger`` (``stable_baselines3.common.logger.configure``) from now on."""
        self._logger = logger

    def get_env(self) -> VecEnv:
        """The training env."""
        return self.env

    def set_env(self, env: Any) -> None:
        """Trains on ``env`` from now on (same spaces and number of envs)."""
        venv = as_vec_env(env)
        same = (venv.observation_space, venv.action_space) == (
            self.observation_space,
            self.action_space,
        )
        if not same or venv.num_envs != self.n_envs:
            raise InvalidConfigError("set_env needs the same spaces and number of envs")
        self.env, self._last_obs, self._history = venv, None, None

    def get_vec_normalize_env(self) -> None:
        """LearnMax never normalises observations (for SB3's callbacks)."""
        return None

    # ----------------------------------------------------------------- acting
    def _new_history(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Histories holding one frame each: ``obs`` ``(n, c, *obs_shape)``, actions
        ``(n, c)`` (the last one is the action taken in the newest frame), lengths ``(n,)``."""
        frames = np.repeat(obs[:, None], self.context, axis=1)
        actions = np.zeros((len(obs), self.context), dtype=np.int64)
        return frames, actions, np.ones(len(obs), dtype=np.int64)

    def _push(
        self,
        history: tuple[np.ndarray, np.ndarray, np.ndarray],
        obs: np.ndarray,
        starts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The histories after the newest frames ``obs``; ``starts`` ``(n,)`` bool begin
        new episodes (their history is ``obs`` alone)."""
        frames, actions, lengths = history
        frames = np.concatenate([frames[:, 1:], obs[:, None]], axis=1)
        actions = np.concatenate([actions[:, 1:], np.zeros_like(actions[:, :1])], axis=1)
        lengths = np.where(starts, 1, np.minimum(lengths + 1, self.context))
        return frames, actions, lengths

    def _score(self) -> Scorer:
        """The search's step value: criterion, predicted reward and salient targets."""
        p, heads = self.params, self.heads
        targets = None
        if p["plan_to_salient"] and self.salient_events:
            obs = np.stack([e.observation for e in self.salient_events[-_MAX_TARGETS:]])
            targets = self.model.tokenize(obs)  # (S, T)

        def score(
            dist: NextFrameDistribution,
            frame: torch.Tensor,
            actions: torch.Tensor,
            tokens: torch.Tensor,
        ) -> torch.Tensor:
            counts = None if self.counts is None else self.counts(frame, actions)
            value = step_value(p["criterion"], dist, heads, counts, p["prior_count"])
            if p["reward_coef"]:
                value = value + p["reward_coef"] * dist.reward
            if targets is not None:
                match = (tokens[:, None] == targets[None]).float().mean(-1).amax(-1)
                value = value + p["salient_coef"] * match
            return value

        return score

    def _leaf(self) -> LeafValueFn | None:
        """The search's value past a step: the MLP's of its features, or ``discount`` times
        the frontier value of the frame it leads to."""
        if self.value is not None:
            value = self.value
            return lambda features, tokens: value(features)
        if self.frontier is not None:
            frontier, discount = self.frontier, self.params["discount"]
            return lambda features, tokens: discount * frontier(tokens)
        return None

    def search(self, history: tuple[np.ndarray, np.ndarray, np.ndarray]) -> SearchResult:
        """One batched search from every env's history (the newest ``min(lengths)``
        frames of each, so all envs share one context length)."""
        frames, actions, lengths = history
        c = int(lengths.min())
        tokens = self.model.tokenize(frames[:, -c:])
        past = torch.as_tensor(actions[:, -c:-1], device=self.device)
        p = self.params
        noise = torch.rand(
            len(frames), p["width"] * self.action_space.n, generator=self.generator,
            device=self.device,
        )  # fmt: skip
        observed = None if self.frontier is None else self.frontier.successor
        result = beam_search(self.model, tokens, past, p["horizon"], p["width"], self._score(),
                             noise, self._leaf(), p["discount"], observed)  # fmt: skip
        self.imagined_transitions += result.transitions
        return result

    def _choose(
        self, history: tuple[np.ndarray, np.ndarray, np.ndarray], deterministic: bool
    ) -> tuple[np.ndarray, SearchResult | None]:
        """Actions ``(n,)`` from the search, ε-random unless ``deterministic``; the search's
        result (``None`` when every env drew a random action: no search then)."""
        n = len(history[2])
        explore, random_actions = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
        if not deterministic and self.params["epsilon"] > 0:
            explore = self.rng.random(n) < self.params["epsilon"]
            random_actions = self.rng.integers(0, self.action_space.n, n)
        result = None if explore.all() else self.search(history)
        if result is None:
            chosen = random_actions
        else:
            chosen = np.where(explore, random_actions, result.actions.cpu().numpy())
        history[1][:, -1] = chosen
        return chosen, result

    def predict(
        self,
        observation: np.ndarray | int,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """Actions for ``observation`` (one env's, or ``(n_envs, ...)``), SB3's way.

        ``state`` is the histories this method returned last time (``None``: start from the
        observation alone); ``episode_start`` ``(n,)`` marks envs whose episode just began.
        Returns the actions and the new state (histories ending with the chosen actions).
        """
        vectorized = is_vectorized_observation(observation, self.observation_space)
        obs = np.asarray(observation)
        obs = obs if vectorized else obs[None]
        starts = (
            np.ones(len(obs), bool) if episode_start is None else np.asarray(episode_start, bool)
        )
        if state is None:
            history = self._new_history(obs)
        else:
            history = self._push(tuple(np.array(s) for s in state), obs, starts)
        actions, _ = self._choose(history, deterministic)
        return (actions if vectorized else actions[0]), history

    # ----------------------------------------------------------------- learning
    def _init_callback(self, callback: Any, progress_bar: bool) -> BaseCallback:
        if isinstance(callback, list):
            callback = CallbackList(callback)
        if not isinstance(callback, BaseCallback):
            callback = ConvertCallback(callback)
        if progress_bar:
            callback = CallbackList([callback, ProgressBarCallback()])
        callback.init_callback(self)
        return callback

    def learn(
        self,
        total_timesteps: int,
        callback: Any = None,
        log_interval: int | None = None,
        tb_log_name: str = "LearnMax",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> LearnMax:
        """Acts and learns for ``total_timesteps`` env steps (all envs); returns ``self``.

        ``log_interval`` (env steps) overrides the constructor's for this call; the other
        arguments are SB3's.
        """
        total_timesteps = check_int("total_timesteps", total_timesteps, 0)
        interval = (
            self.params["log_interval"]
            if log_interval is None
            else check_int("log_interval", log_interval, 1)
        )
        if reset_num_timesteps:
            self.num_timesteps = 0
        total_timesteps += self.num_timesteps
        if self._logger is None or reset_num_timesteps:
            self._logger = configure_logger(
                self.verbose, self.tensorboard_log, tb_log_name, reset_num_timesteps
            )
        if self._last_obs is None:
            self.env.seed(self.seed)
            self._last_obs = self.env.reset()
            self._history = self._new_history(self._last_obs)
            self._episode_start = np.ones(self.n_envs, dtype=bool)
        callback = self._init_callback(callback, progress_bar)
        callback.on_training_start(locals(), globals())
        next_log = self.num_timesteps + interval
        while self.num_timesteps < total_timesteps:
            obs, history = self._last_obs, self._history
            actions, result = self._choose(history, deterministic=False)
            self._note_salience(obs, result)
            if self.value is not None and result is not None:
                target = result.values - result.step_values[:, 0]
                loss = self.value.fit(self.value_optimizer, result.first_features, target)
                self.logger.record_mean("train/value_mse", loss)
            new_obs, rewards, dones, infos = self.env.step(actions)
            truncated = np.array([i.get("TimeLimit.truncated", False) for i in infos])
            losses = self.learner.observe(obs, actions, rewards, dones, dones & ~truncated)
            if self.counts is not None:  # what the model learns from: done steps are masked
                kept = torch.as_tensor(~dones, device=self.device)
                acted = torch.as_tensor(actions, device=self.device)[kept]
                # one tokenizer pass: the frames, and their successors for the frontier graph
                frames = np.stack([obs, new_obs]) if self.frontier is not None else obs[None]
                tokens = self.model.tokenize(frames)[:, kept]
                self.counts.add(tokens[0], acted)
                if self.frontier is not None:
                    self.frontier.observe(tokens[0], acted, tokens[1])
                    self.frontier.update()
            self.num_timesteps += self.n_envs
            self._episode_start = dones
            self._last_obs, self._history = new_obs, self._push(history, new_obs, dones)
            callback.update_locals(locals())
            if not callback.on_step():
                break
            for loss in losses:
                for name in ("obs_nll", "token_acc", "head_nll"):
                    if name in loss:
                        self.logger.record_mean(f"train/{name}", loss[name])
            if self.num_timesteps >= next_log:
                self._dump(infos)
                next_log = self.num_timesteps + interval
        callback.on_training_end()
        return self

    def _note_salience(self, obs: np.ndarray, result: SearchResult | None) -> None:
        """Records this step's salient observations (:class:`SalientEvent`)."""
        if result is None:
            return
        outlook = result.step_values.mean(1).cpu().numpy()
        flags = self.salience.update(outlook, self._episode_start)
        for env in np.flatnonzero(flags):
            event = SalientEvent(
                self.num_timesteps + int(env),
                int(env),
                obs[env].copy(),
                float(self.salience.z[env]),
            )
            self.salient_events.append(event)
        overflow = len(self.salient_events) - self.params["max_salient_events"]
        if overflow > 0:
            del self.salient_events[:overflow]

    def _dump(self, infos: list[dict[str, Any]]) -> None:
        """Records the counters and dumps the logger."""
        log = self.logger
        episodes = [i["episode"]["r"] for i in infos if "episode" in i]
        if episodes:
            log.record("rollout/ep_rew_mean", float(np.mean(episodes)))
        log.record("time/total_timesteps", self.num_timesteps)
        log.record("train/n_updates", self.learner.n_updates)
        log.record("learnmax/imagined_transitions", self.imagined_transitions)
        log.record("learnmax/salient_events", len(self.salient_events))
        log.dump(self.num_timesteps)
