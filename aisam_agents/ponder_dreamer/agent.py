"""PonderDreamer: an actor-critic trained in a world model's imagination, with a PonderNet
actor.

The loop (DreamerV3, Hafner et al. 2023, "Mastering Diverse Domains through World
Models"): act in the env, store every step in a :class:`~aisam_agents.replay.SequenceReplay`,
and at a set train ratio (replayed steps per env step, counted as DreamerV3 does: batch x
window length) take one training step: the world model on a batch of replayed windows,
then actor and critic on rollouts imagined from the windows' last states.

The actor-critic follows DreamerV3's recipe where it fits a transformer world model:

- imagination horizon 15; λ-returns with λ = 0.95 from the model's reward and
  continuation (``1 - p_term``) heads (DreamerV3 eq. 7); the discount γ = 0.997
  (its "horizon 333");
- advantages ``(R - v) / max(1, S)``, ``S`` an EMA (rate 0.01) of the 5th-95th percentile
  range of the returns (eq. 11);
- a critic over 255 two-hot bins of symlog space, trained on the λ-returns and
  regularised toward a slow copy of itself (EMA rate 0.02, DreamerV3's slow critic);
- REINFORCE gradients for discrete actions with entropy regularisation η = 3e-4;
- each imagined step's losses weighted by the probability that the imagined episode is
  still running there, ``Π_{j<h} c_j`` (DreamerV3's cumulative continuation weight).

Deviations, and why: the world model's reward head is a scalar regressor (MSE), not a
symexp two-hot head, because :class:`~aisam_agents.world_model.WorldModel` predicts it so;
learning rates are 3e-4 (DreamerV3 uses 3e-5 for a 200M-step budget and much larger
networks) so a small table learns in seconds on a CPU; a state is the transformer's
features of the step that predicted it next to its observation tokens' embeddings
(DreamerV3's ``(h_t, z_t)``: a transformer has no separate posterior), both without
gradient to the model; a replayed window's history is cut at episode starts, since the
transformer would otherwise attend across episodes (see :meth:`PonderDreamer.train`).

The actor (``actor="ponder"``) is a PonderNet (Banino et al. 2021) over that state: each
ponder step ``n`` has its own policy ``π_n`` and the halting distribution ``p`` picks the
acting step. Its loss is PonderNet's loss with REINFORCE per step,
``mean_b Σ_n p_nb w_b (-A_b log π_n(a_b|s_b) - η H(π_n)) + β KL(p_b ‖ p_G(λ_p))``, as
PonderPPO weights its per-step PPO losses (:func:`~aisam_agents.ponder_dreamer.networks.
actor_loss`). ``actor="mlp"`` is an MLP with the same parameter count, for the ablation.

An optional intrinsic reward ``intrinsic_coef * (H(next observation) - m)``, the model's
own predictive entropy at each imagined step, makes the actor seek states the model is
unsure about (learnmax's entropy bonus, evaluated in imagination rather than in the env).
It is centred on its mean ``m`` over the batch's live imagined steps
(:func:`~aisam_agents.ponder_dreamer.returns.centred_bonus`): an always-positive bonus
makes ending the episode a loss, and then a reward state that ends it is avoided even once
the model predicts its reward (measured on the study's tables: docs/ponder_dreamer.md).
"""

from __future__ import annotations

import copy
import time
from typing import Any, TypeVar

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm, maybe_make_env
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.preprocessing import maybe_transpose
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback
from stable_baselines3.common.utils import safe_mean
from torch import nn

from aisam_agents.ponder.loss import check_prior
from aisam_agents.ponder_dreamer.graphs import CudaGraphed
from aisam_agents.ponder_dreamer.history import History, history_features
from aisam_agents.ponder_dreamer.networks import (
    ActorSteps,
    Critic,
    MlpActor,
    PonderActor,
    count_params,
    mlp_width,
)
from aisam_agents.ponder_dreamer.persistence import PersistenceMixin
from aisam_agents.ponder_dreamer.returns import PercentileNormalizer, TwoHot
from aisam_agents.ponder_dreamer.training import TrainingMixin
from aisam_agents.replay import MAX_BUFFER, SequenceReplay
from aisam_agents.world_model import WorldModel, WorldModelConfig
from aisam_envs.errors import InvalidConfigError, check_bool, check_int, check_real

__all__ = ["DreamerModules", "PonderDreamer"]

SelfPonderDreamer = TypeVar("SelfPonderDreamer", bound="PonderDreamer")

ACTORS = ("ponder", "mlp")
POLICIES = ("auto", "MlpPolicy")


class DreamerModules(nn.Module):
    """Actor, critic, slow critic, two-hot bins and return normaliser (``agent.policy``)."""

    def __init__(
        self, actor: nn.Module, critic: Critic, two_hot: TwoHot, normalizer: PercentileNormalizer
    ) -> None:
        super().__init__()
        self.actor, self.critic, self.two_hot, self.normalizer = actor, critic, two_hot, normalizer
        self.slow_critic = copy.deepcopy(critic).requires_grad_(False)


class PonderDreamer(TrainingMixin, PersistenceMixin, BaseAlgorithm):
    """Actor-critic in a world model's imagination with a PonderNet actor (see the module
    docstring for the recipe and its sources).

    Args:
        policy: ``"auto"`` (or ``"MlpPolicy"``, what ``aisam train`` passes): the networks
            are set by the arguments below.
        env: a gymnasium env, an SB3 ``VecEnv`` or a registered id; Discrete actions only.
        world_model: a :class:`WorldModel` for the env's spaces, a
            :class:`WorldModelConfig`, a preset name, or ``None`` (``"tiny"``). Presets and
            ``None`` take the agent's ``seed`` and ``device``; a config takes its device.
        actor: ``"ponder"`` (PonderNet) or ``"mlp"`` (same parameter count).
        learning_rate: actor learning rate (Adam, eps 1e-5).
        critic_learning_rate: critic learning rate.
        buffer_size: replayed steps kept, over all envs.
        learning_starts: env steps before the first training step.
        batch_size: windows per training step (also the imagination starts).
        seq_len: transitions per window (default and maximum: the model's ``max_frames``).
        train_ratio: replayed steps (``batch_size * seq_len``) per env step; DreamerV3
            uses 32 (Atari) to 512; the default 16 (one training step per 8 env steps)
            keeps a CPU run on a small table to seconds per thousand steps.
        horizon: imagined steps per rollout (>= 1).
        gamma: discount.
        lam: λ of the λ-returns, in ``[0, 1]``.
        ent_coef: actor entropy coefficient η.
        critic_hidden: width of the critic's two hidden layers.
        n_bins: two-hot bins of the critic.
        slow_critic_rate: EMA rate of the slow critic.
        slow_critic_coef: weight of the critic's loss toward the slow critic's values.
        return_ema_rate: EMA rate of the return percentiles.
        ponder_hidden: PonderNet GRU size.
        ponder_max_steps: the most ponder steps ``N``.
        lambda_p: halting probability of the geometric prior (and initial λ), in (0, 1).
        ponder_beta: weight β of ``KL(p ‖ p_G)``.
        intrinsic_coef: weight of the model's predictive entropy, centred, as reward in
            imagination.
        grad_clip: gradient-norm clip of actor and critic (DreamerV3: 100).
        log_interval: env steps between two dumps of the logger (0: only at the end).
        cuda_graphs: on a CUDA device, act on uint8 image observations with full
            histories by replaying a CUDA graph of the forward pass (world model, then
            actor), captured once per batch size, instead of launching its hundreds of
            small kernels one by one (the same computation; acting is bound by kernel
            launches there). No effect on the CPU.
        stats_window_size, tensorboard_log, verbose, seed, device: as in SB3.

    Logs ``world_model/*`` (the model's losses), ``train/*`` (actor, critic, returns, the
    normaliser's scale), ``ponder/expected_steps`` and ``ponder/kl`` (in imagination),
    ``rollout/ponder_steps`` (when acting), ``rollout/ep_rew_mean`` and ``time/*``.
    """

    #: its files are read with ``torch.load(weights_only=True)``: loading runs no code
    weights_only_files = True

    def __init__(
        self,
        policy: str,
        env: GymEnv | str | None,
        world_model: WorldModel | WorldModelConfig | str | None = None,
        actor: str = "ponder",
        learning_rate: float = 3e-4,
        critic_learning_rate: float = 3e-4,
        buffer_size: int = 100_000,
        learning_starts: int = 100,
        batch_size: int = 16,
        seq_len: int | None = None,
        train_ratio: float = 16.0,
        horizon: int = 15,
        gamma: float = 0.997,
        lam: float = 0.95,
        ent_coef: float = 3e-4,
        critic_hidden: int = 64,
        n_bins: int = 255,
        slow_critic_rate: float = 0.02,
        slow_critic_coef: float = 1.0,
        return_ema_rate: float = 0.01,
        ponder_hidden: int = 32,
        ponder_max_steps: int = 8,
        lambda_p: float = 0.25,
        ponder_beta: float = 0.01,
        intrinsic_coef: float = 0.0,
        grad_clip: float = 100.0,
        log_interval: int = 1000,
        cuda_graphs: bool = False,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: torch.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        if policy not in POLICIES:
            raise InvalidConfigError(
                f"PonderDreamer builds its own networks: policy must be one of {POLICIES}, "
                f"got {policy!r} (choose the actor with actor='ponder' or 'mlp')"
            )
        if actor not in ACTORS:
            raise InvalidConfigError(f"actor must be one of {ACTORS}, got {actor!r}")
        if not isinstance(world_model, WorldModel | WorldModelConfig | str | type(None)):
            raise InvalidConfigError(
                "world_model must be a WorldModel, a WorldModelConfig, a preset name or None, "
                f"got {type(world_model).__name__}"
            )
        if not 0.0 <= check_real("lam", lam) <= 1.0:
            raise InvalidConfigError(f"lam (λ of the λ-returns) must be in [0, 1], got {lam}")
        if not 0.0 <= check_real("gamma", gamma) <= 1.0:
            raise InvalidConfigError(f"gamma must be in [0, 1], got {gamma}")
        for name, value in (
            ("slow_critic_rate", slow_critic_rate),
            ("return_ema_rate", return_ema_rate),
        ):
            if not 0.0 < check_real(name, value) <= 1.0:
                raise InvalidConfigError(f"{name} must be in (0, 1], got {value}")
        positive = {
            "learning_rate": learning_rate,
            "critic_learning_rate": critic_learning_rate,
            "train_ratio": train_ratio,
            "grad_clip": grad_clip,
        }
        for name, value in positive.items():
            if not check_real(name, value) > 0:
                raise InvalidConfigError(f"{name} must be > 0, got {value}")
        for name, value in (
            ("ent_coef", ent_coef),
            ("intrinsic_coef", intrinsic_coef),
            ("slow_critic_coef", slow_critic_coef),
        ):
            if check_real(name, value) < 0:
                raise InvalidConfigError(f"{name} must be >= 0, got {value}")
        check_prior(lambda_p, ponder_beta, beta_name="ponder_beta")
        if seed is not None:
            check_int("seed", seed, 0, 2**32 - 1)  # numpy's seed range
        self.hparams: dict[str, Any] = dict(
            actor=actor,
            learning_rate=float(learning_rate),
            critic_learning_rate=float(critic_learning_rate),
            buffer_size=check_int("buffer_size", buffer_size, 1, MAX_BUFFER),
            learning_starts=check_int("learning_starts", learning_starts, 0),
            batch_size=check_int("batch_size", batch_size, 1),
            seq_len=None if seq_len is None else check_int("seq_len", seq_len, 1),
            train_ratio=float(train_ratio),
            horizon=check_int("horizon", horizon, 1),
            gamma=float(gamma),
            lam=float(lam),
            ent_coef=float(ent_coef),
            critic_hidden=check_int("critic_hidden", critic_hidden, 1),
            n_bins=check_int("n_bins", n_bins, 2),
            slow_critic_rate=float(slow_critic_rate),
            slow_critic_coef=float(slow_critic_coef),
            return_ema_rate=float(return_ema_rate),
            ponder_hidden=check_int("ponder_hidden", ponder_hidden, 1),
            ponder_max_steps=check_int("ponder_max_steps", ponder_max_steps, 1),
            lambda_p=float(lambda_p),
            ponder_beta=float(ponder_beta),
            intrinsic_coef=float(intrinsic_coef),
            grad_clip=float(grad_clip),
            log_interval=check_int("log_interval", log_interval, 0),
            cuda_graphs=check_bool("cuda_graphs", cuda_graphs),
        )
        self.__dict__.update(self.hparams)
        self._world_model_arg = world_model
        if env is not None:
            env = maybe_make_env(env, verbose)
            check_spaces(env.observation_space, env.action_space)
        super().__init__(
            policy=DreamerModules,  # type: ignore[arg-type]
            env=env,
            learning_rate=learning_rate,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            support_multi_env=True,
            seed=seed,
        )
        if _init_setup_model:
            self._setup_model()

    # ----------------------------------------------------------------- building
    def _build_world_model(self) -> WorldModel:
        arg, device = self._world_model_arg, str(self.device)
        if isinstance(arg, WorldModel):
            if (
                arg.observation_space != self.observation_space
                or arg.action_space != self.action_space
            ):
                raise InvalidConfigError(
                    f"the world model was built for {arg.observation_space} -> "
                    f"{arg.action_space}, the env has {self.observation_space} -> "
                    f"{self.action_space}"
                )
            return arg
        if isinstance(arg, WorldModelConfig):
            config = arg
        else:
            seed = {} if self.seed is None else {"seed": int(self.seed)}
            config = WorldModelConfig.preset(arg or "tiny", device=device, **seed)
        return WorldModel(self.observation_space, self.action_space, config)

    def _setup_model(self) -> None:
        check_spaces(self.observation_space, self.action_space)
        self.set_random_seed(self.seed)
        self.world_model = self._build_world_model()
        self.device = self.world_model.device
        cfg = self.world_model.config
        self.window = min(self.seq_len or cfg.max_frames, cfg.max_frames)
        self.context = cfg.max_frames  # frames a state's features are read from
        n_actions = int(self.action_space.n)  # type: ignore[attr-defined]
        input_dim = cfg.n_embd * (1 + self.world_model.tokenizer.tokens_per_frame)
        ponder_args = (input_dim, n_actions, self.ponder_hidden, self.ponder_max_steps)
        if self.actor == "ponder":
            actor: nn.Module = PonderActor(*ponder_args, lambda_init=self.lambda_p)
        else:
            with torch.device("meta"):
                size = count_params(PonderActor(*ponder_args, lambda_init=self.lambda_p))
            actor = MlpActor(input_dim, n_actions, mlp_width(input_dim, n_actions, size))
        critic = Critic(input_dim, self.critic_hidden, self.n_bins)
        normalizer = PercentileNormalizer(self.return_ema_rate)
        self.policy = DreamerModules(actor, critic, TwoHot(self.n_bins), normalizer).to(self.device)
        adam = dict(eps=1e-5)
        self.actor_optimizer = torch.optim.Adam(actor.parameters(), self.learning_rate, **adam)
        self.critic_optimizer = torch.optim.Adam(
            critic.parameters(), self.critic_learning_rate, **adam
        )
        seed = 0 if self.seed is None else int(self.seed)
        self.replay = SequenceReplay(
            self.buffer_size,
            self.observation_space,
            self.action_space,
            self.n_envs,
            str(self.device),
            seed,
        )
        self.generator = torch.Generator(self.device).manual_seed(seed)
        self._history: History | None = None
        self._graphs: dict[int, CudaGraphed[ActorSteps]] = {}  # by batch size
        self._train_credit = 0.0
        if not hasattr(self, "_logger"):  # train() may run before learn() configures one
            self._logger = Logger(None, [])

    # ----------------------------------------------------------------- acting
    def state_inputs(self, tokens: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """The actor's and critic's input ``(..., d_model * (1 + T))``: the features
        ``(..., d_model)`` of the step that predicted a state, next to the embeddings of its
        observation tokens ``(..., T)`` (no gradient to the world model)."""
        emb = self.world_model.transformer.tok_emb(tokens).flatten(-2)
        return torch.cat([features.float(), emb.float()], -1).detach()

    @torch.no_grad()
    def _act(
        self,
        obs: np.ndarray,
        history: History,
        deterministic: bool,
    ) -> tuple[np.ndarray, History, float]:
        """Actions ``(n,)`` for ``obs`` ``(n, *obs_shape)`` after ``history``; the history
        with them appended; the mean expected ponder steps."""
        self.policy.eval()
        steps = self._graphed_steps(obs, history)
        if steps is None:
            features = history_features(self.world_model, history)
            x = self.state_inputs(self.world_model.tokenize(obs), features)
            steps = self.policy.actor(x)
        actions = steps.act(deterministic, self.generator).cpu().numpy()
        return actions, history.push(obs, actions), float(steps.expected_steps.mean())

    def _graphed_steps(self, obs: np.ndarray, history: History) -> ActorSteps | None:
        """The actor's steps for ``obs`` after full histories, from a CUDA graph of
        :meth:`_steps_after_full_histories` (captured at the first call for a batch size);
        ``None`` where it does not apply (CPU, ``cuda_graphs=False``, observations that are
        not uint8 images, or a history shorter than the context)."""
        model, frames = self.world_model, self.context - 1
        applies = (
            self.cuda_graphs
            and self.device.type == "cuda"
            and getattr(model.tokenizer, "is_image", False)
            and obs.dtype == np.uint8
            and frames > 0
            and bool((history.length == frames).all())
        )
        if not applies:
            return None
        inputs = (obs, history.obs, history.actions)
        graph = self._graphs.get(len(obs))
        if graph is None:
            model.eval()
            examples = [torch.as_tensor(x, device=self.device) for x in inputs]
            graph = self._graphs[len(obs)] = CudaGraphed(self._steps_after_full_histories, examples)
        return graph(*inputs)

    def _steps_after_full_histories(
        self, obs: torch.Tensor, history_obs: torch.Tensor, history_actions: torch.Tensor
    ) -> ActorSteps:
        """What the eager path of :meth:`_act` computes when every history is full, without
        its checks (which sync the host): ``obs`` ``(n, *obs_shape)``, ``history_obs``
        ``(n, K, *obs_shape)``, ``history_actions`` ``(n, K)``."""
        model = self.world_model
        n, k = history_actions.shape
        tokens = model.tokenizer.encode(history_obs.flatten(0, 1)).view(n, k, -1)
        with model.autocast(cache_enabled=False):
            out = model.transformer(model.transformer.frame_tokens(tokens, history_actions))
        features = out.features[:, -1].float()
        return self.policy.actor(self.state_inputs(model.tokenizer.encode(obs), features))

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Actions for ``observation`` (one, or ``(n_envs, *obs_shape)``).

        ``state`` is the per-env :class:`History` the previous call returned (``None`` at
        the start): the actor reads the world model's features of it, as in training.
        ``episode_start`` ``(n_envs,)`` empties the histories of envs that were reset, the
        way SB3's ``evaluate_policy`` passes it. Channels-last images, as an env gives them
        unwrapped, are moved to channels first, as SB3 moved them for training.
        """
        obs = maybe_transpose(np.asarray(observation), self.observation_space)
        obs_shape = self.world_model.obs_shape
        single = obs.ndim == len(obs_shape)
        batch = obs[None] if single else obs
        frames = self.context - 1
        if state is None:
            history = History.empty(len(batch), frames, obs_shape, self.replay_dtype)
        else:
            history = History(*state)
            history.check(len(batch), frames, obs_shape)
        history = history.restart(episode_start)
        actions, history, _ = self._act(batch, history, deterministic)
        return (actions[0] if single else actions), (history.obs, history.actions, history.length)

    @property
    def replay_dtype(self) -> np.dtype:
        """The dtype observations are kept in (the observation space's)."""
        return np.dtype(self.observation_space.dtype)

    # ----------------------------------------------------------------- learning
    def learn(
        self: SelfPonderDreamer,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int | None = None,
        tb_log_name: str = "PonderDreamer",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfPonderDreamer:
        """Acts for ``total_timesteps`` env steps, training at the train ratio; returns self.

        ``log_interval`` (env steps) overrides the constructor's for this call.
        """
        check_int("total_timesteps", total_timesteps, 1)
        interval = (
            self.log_interval
            if log_interval is None
            else check_int("log_interval", log_interval, 0)
        )
        total_timesteps, callback = self._setup_learn(
            total_timesteps, callback, reset_num_timesteps, tb_log_name, progress_bar
        )
        callback.on_training_start(locals(), globals())
        assert self.env is not None  # _setup_learn has reset it
        if reset_num_timesteps or self._history is None:
            self._history = History.empty(
                self.n_envs, self.context - 1, self.world_model.obs_shape, self.replay_dtype
            )
        last_dump = self.num_timesteps
        callback.on_rollout_start()
        while self.num_timesteps < total_timesteps:
            if not self._env_step(callback):
                break
            self._train_due()
            if interval and self.num_timesteps - last_dump >= interval:
                self.dump_logs()
                last_dump = self.num_timesteps
        callback.on_rollout_end()
        self.dump_logs()
        callback.on_training_end()
        return self

    def _env_step(self, callback: BaseCallback) -> bool:
        """One step of every env; stores it and calls the callback (False: stop)."""
        obs = np.asarray(self._last_obs)
        history = self._history.restart(self._last_episode_starts)  # type: ignore[union-attr]
        actions, self._history, ponder_steps = self._act(obs, history, deterministic=False)
        new_obs, rewards, dones, infos = self.env.step(actions)  # type: ignore[union-attr]
        truncated = np.array([bool(i.get("TimeLimit.truncated", False)) for i in infos])
        self.replay.add(obs, actions, rewards, dones, dones & ~truncated)
        self.num_timesteps += self.n_envs
        self._episode_num += int(dones.sum())
        self._update_info_buffer(infos, dones)
        self.logger.record_mean("rollout/ponder_steps", ponder_steps)
        callback.update_locals(locals())
        self._last_obs, self._last_episode_starts = new_obs, dones
        return bool(callback.on_step())

    def _train_due(self) -> None:
        """Training steps at ``train_ratio`` replayed steps per env step, once
        ``learning_starts`` env steps are done (fractions carry over between steps)."""
        if self.num_timesteps <= self.learning_starts or self.replay.steps < self.window + 1:
            return
        self._train_credit += self.n_envs * self.train_ratio / (self.batch_size * self.window)
        while self._train_credit >= 1.0:
            self.train()
            self._train_credit -= 1.0

    def dump_logs(self) -> None:
        """Writes ``time/*``, ``rollout/*`` and the means recorded since the last dump."""
        elapsed = max((time.time_ns() - self.start_time) / 1e9, 1e-9)
        fps = int((self.num_timesteps - self._num_timesteps_at_start) / elapsed)
        self.logger.record("time/episodes", self._episode_num, exclude="tensorboard")
        self.logger.record("time/fps", fps)
        self.logger.record("time/time_elapsed", int(elapsed), exclude="tensorboard")
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        if self.ep_info_buffer:
            self.logger.record(
                "rollout/ep_rew_mean", safe_mean([e["r"] for e in self.ep_info_buffer])
            )
            self.logger.record(
                "rollout/ep_len_mean", safe_mean([e["l"] for e in self.ep_info_buffer])
            )
        self.logger.dump(step=self.num_timesteps)


def check_spaces(observation_space: spaces.Space, action_space: spaces.Space) -> None:
    """Raises InvalidConfigError unless the actions are Discrete and the observations a
    space the world model tokenizes (Discrete or Box)."""
    if not isinstance(action_space, spaces.Discrete):
        raise InvalidConfigError(
            f"PonderDreamer supports only Discrete action spaces, got {action_space} "
            "(continuous actions are not supported)"
        )
    if not isinstance(observation_space, spaces.Discrete | spaces.Box):
        raise InvalidConfigError(
            f"PonderDreamer needs a Discrete or Box observation space, got {observation_space}"
        )
