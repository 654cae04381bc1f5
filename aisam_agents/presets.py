"""Per-env training presets: the setup a researcher would use, applied unless told otherwise.

One table, :data:`PRESETS`, maps env families (glob patterns of ids) to the env
arguments, wrappers, policy and vector env that suit them. ``aisam train`` picks the
preset by ``--env`` (``--preset auto``) and every option given explicitly wins over it.
"""

from __future__ import annotations

import collections
import fnmatch
import functools
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np

from aisam_envs.errors import InvalidConfigError, check_int, require_extra
from aisam_wrappers import BONUSES
from aisam_wrappers.model_bonus import LEARNED_MODELS

DEFAULT_ENV = "aisam/TransitionTable-v0"


@dataclass(frozen=True)
class Preset:
    """How ``aisam train`` sets up one family of envs.

    Attributes:
        ids: glob patterns of the env ids it is for.
        summary: one line for ``--help``.
        env_kwargs: ``gym.make`` arguments used when ``--env-kwargs`` is not given.
        algo: the algorithm used when ``--algo`` is not given.
        policies: policy aliases for ``--policy auto``, the first the algorithm has
            (MultiInputPolicy comes first for ``Dict`` observations).
        atari: SB3's Atari preprocessing (``AtariWrapper``): up to 30 no-op starts,
            frame skip (the env's ``frameskip``, the emulator then stepping single
            frames) with max-pooling, 84x84 grey frames, end of episode at a life lost
            for the policy, rewards clipped to their sign for the policy; the
            ``Monitor`` inside it logs the true score and episodes.
        frame_stack: frames stacked for the policy (0: none).
        evaluations: evaluations per run when ``--eval-freq`` is not given (0: none).
        eval_episodes: episodes per evaluation when ``--eval-episodes`` is not given.
        vec_env: ``"dummy"`` (all envs in this process), ``"subproc"`` (one process
            per env, so stepping uses the machine's cores) or ``"native"`` (the env's own
            vector env, ``gym.make_vec(id, n, vectorization_mode="vector_entry_point")``,
            which does its own preprocessing: no ``AtariWrapper`` or frame stack then).
        vector_kwargs: keywords of the env's vector entry point that ``"native"`` adds.
        model_config: ``ModelConfig`` fields of a bonus's learned model (RND, forward
            dynamics), used when ``--bonus-kwargs`` gives no ``model_config``.
        algo_kwargs: per algorithm (lower-case name), its keyword defaults on this family
            as a function of ``--n-envs``, in place of ``aisam train``'s defaults when
            ``--algo-kwargs`` is not given.
    """

    ids: tuple[str, ...]
    summary: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    algo: str = "ppo"
    policies: tuple[str, ...] = ("MlpPolicy", "MlpLstmPolicy")
    atari: bool = False
    frame_stack: int = 0
    evaluations: int = 10
    eval_episodes: int = 5
    vec_env: str = "dummy"
    vector_kwargs: dict[str, Any] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)
    algo_kwargs: dict[str, Callable[[int], dict[str, Any]]] = field(default_factory=dict)

    def matches(self, env_id: str) -> bool:
        """Whether ``env_id`` is one of this preset's ids."""
        return any(fnmatch.fnmatchcase(env_id, pattern) for pattern in self.ids)


#: RND's model on Atari frames, after the RND paper (Burda et al. 2018): the newest frame of
#: the stack through its three convolutions, Adam at 1e-4, a quarter of each batch trained
#: on. Narrower than the paper's 512 units (256 hidden, 128 features), so that an
#: IntrinsicPPO checkpoint (policy, both RND nets, both Adams) is about 35 MB
RND_ATARI: dict[str, Any] = {
    "lr": 1e-4,
    "update_proportion": 0.25,
    "image_channels": 1,
    "hidden": 256,
    "features": 128,
}

#: the RND paper's PPO settings for Atari (Burda et al. 2018), per env: 128 steps per
#: rollout, 4 epochs, Adam at 1e-4, entropy 0.001, GAE lambda 0.95, clip 0.1
RND_PPO: dict[str, Any] = {
    "n_steps": 128,
    "n_epochs": 4,
    "learning_rate": 1e-4,
    "ent_coef": 0.001,
    "gae_lambda": 0.95,
    "clip_range": 0.1,
}


def rnd_ppo(n_envs: int, n_steps: int = RND_PPO["n_steps"]) -> dict[str, Any]:
    """PPO's keywords for Atari after the RND paper: :data:`RND_PPO` at ``n_steps`` per env
    and rollout, with its 4 minibatches per epoch (``batch_size`` a quarter of the
    ``n_envs * n_steps`` steps)."""
    return {**RND_PPO, "n_steps": n_steps, "batch_size": max(1, n_envs * n_steps // 4)}


#: the RND paper's rollouts of random play that warm up the observation statistics
RND_WARMUP_ROLLOUTS = 50


def rnd_intrinsic_ppo(n_envs: int) -> dict[str, Any]:
    """IntrinsicPPO's keywords for Atari after the RND paper: :func:`rnd_ppo` and its
    :data:`RND_WARMUP_ROLLOUTS` rollouts of random play to warm up the statistics."""
    return {**rnd_ppo(n_envs), "warmup_rollouts": RND_WARMUP_ROLLOUTS}


_ATARI = Preset(
    ids=("aisam/Montezuma-*", "ALE/*", "*NoFrameskip-v4"),
    summary="AtariWrapper (no-op starts, frame skip, 84x84 grey, clipped rewards for "
    "the policy, true score logged), 4-frame stack, CnnPolicy, one process per env, "
    "no evaluation unless --eval-freq is given (then 1 episode each); a learned bonus "
    "model (RND, forward) reads the newest frame with the RND paper's convolutions, and "
    "intrinsic_ppo takes the RND paper's PPO settings",
    policies=("CnnPolicy", "CnnLstmPolicy"),
    atari=True,
    frame_stack=4,
    # a game lasts up to 27,000 steps, so an agent that stays alive makes each
    # evaluation cost minutes; the training logs already hold the true score
    evaluations=0,
    eval_episodes=1,
    vec_env="subproc",
    model_config=RND_ATARI,
    algo_kwargs={"intrinsic_ppo": rnd_intrinsic_ppo},
)

#: name -> preset; ``--preset auto`` takes the first whose ids match ``--env``
PRESETS: dict[str, Preset] = {
    "table": Preset(
        ids=(DEFAULT_ENV,),
        summary="a 10-state combination lock (the built-in job)",
        env_kwargs={"n_states": 10, "n_actions": 3, "kind": "lock"},
    ),
    # the atari preset, but stepping Montezuma's own vector env (rooms from the RAM in info)
    "montezuma": replace(
        _ATARI,
        ids=("aisam/Montezuma-Reduced-v0",),
        summary="its own vector env (MontezumaRoomsVectorEnv: one ALE per env in worker "
        "processes, the Atari preprocessing of ale-py's vector env: no-op and FIRE starts, "
        "frame skip, 84x84 grey, 4-frame stack, clipped rewards for the policy; true score "
        "and rooms in info), CnnPolicy, no evaluation unless --eval-freq is given, RND "
        "as in the atari preset; --vec-env dummy or subproc: the atari preset's "
        "AtariWrapper instead",
        vec_env="native",
        vector_kwargs={"ram_info": True, "autoreset_mode": "SameStep"},
    ),
    "atari": _ATARI,
    "textworld": Preset(
        ids=("aisam/TextWorld-*",),
        summary="token observations and index actions (one of the admissible commands) "
        "with MaskablePPO, masked by the admissible commands, one process per env",
        env_kwargs={"action_mode": "index", "obs_type": "tokens"},
        algo="maskableppo",
        vec_env="subproc",
    ),
    "pokemon": Preset(
        ids=("aisam/PokemonRed-*",),
        summary="its (72, 80, 1) screen observation with CnnPolicy, one process per env",
        policies=("CnnPolicy", "CnnLstmPolicy"),
        vec_env="subproc",
    ),
}
#: ``--preset none``: the env as registered
NONE = Preset(ids=(), summary="the env as registered, MlpPolicy")


def bonus_settings(preset: Preset, bonus: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` of ``bonus`` with the preset's ``model_config`` added where the bonus
    builds a learned model (its ``model`` setting or default is ``"rnd"`` / ``"forward"``)
    and ``settings`` give no ``model_config`` of their own."""
    model = inspect.signature(BONUSES[bonus]).parameters.get("model")
    if not preset.model_config or model is None or "model_config" in settings:
        return settings
    if settings.get("model", model.default) not in LEARNED_MODELS:
        return settings
    return {**settings, "model_config": dict(preset.model_config)}


def find_preset(name: str, env_id: str) -> tuple[str, Preset]:
    """The preset called ``name``; ``"auto"``: the one for ``env_id``; ``"none"``: none."""
    if name == "auto":
        return next(((n, p) for n, p in PRESETS.items() if p.matches(env_id)), ("none", NONE))
    if name == "none":
        return "none", NONE
    if name not in PRESETS:
        raise InvalidConfigError(f"unknown preset {name!r}; choose auto, none or {list(PRESETS)}")
    return name, PRESETS[name]


def presets_help() -> str:
    """The table of presets, as ``aisam train --help`` shows it."""
    lines = ["presets (--preset auto picks one by --env; explicit options win):"]
    for name, preset in PRESETS.items():
        lines.append(f"  {name:8} {', '.join(preset.ids)}")
        lines += textwrap.wrap(
            preset.summary, 88, initial_indent=" " * 11, subsequent_indent=" " * 11
        )
        if preset.env_kwargs:
            kwargs = " ".join(f"{k}={v}" for k, v in preset.env_kwargs.items())
            lines.append(f"  {'':8} --env-kwargs {kwargs}")
        if preset.algo != NONE.algo:
            lines.append(f"  {'':8} --algo {preset.algo}")
    return "\n".join(lines)


def register_ids(env_id: str) -> None:
    """Registers the ids ``env_id`` may be: aisam's, and ale-py's for ``ALE/`` ids."""
    import aisam_envs  # noqa: F401  (importing it registers the aisam/ ids)

    if env_id.startswith("ALE/"):
        gym.register_envs(require_extra("ale_py", "atari"))


def make_env(env_id: str, env_kwargs: dict[str, Any], atari: bool) -> gym.Env:
    """One training env: ``Monitor(gym.make(env_id, **env_kwargs))``, Atari-wrapped if asked.

    Grey-scale frames ``(H, W)`` uint8 get a channel axis, ``(H, W, 1)``: SB3's CNN
    policies take images with channels only. A module-level function (not a closure) so
    that ``SubprocVecEnv`` can send it to its worker processes, where it registers
    aisam's ids first.
    """
    register_ids(env_id)  # in a fresh worker process too
    Monitor = recent_monitor_class()

    if not atari:
        env = Monitor(gym.make(env_id, **env_kwargs))
        space = env.observation_space
        if isinstance(space, gym.spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 2:
            return gym.wrappers.ReshapeObservation(env, (*space.shape, 1))
        return env
    from stable_baselines3.common.atari_wrappers import AtariWrapper

    kwargs = dict(env_kwargs)
    skip = kwargs.pop("frameskip", None)
    if skip is None:  # the id's own skip; the standard 4 for NoFrameskip ids
        skip = gym.spec(env_id).kwargs.get("frameskip", 1)
        skip = skip if isinstance(skip, int) and skip > 1 else 4
    check_int("frameskip (the Atari preset's frame skip)", skip, 1)
    env = Monitor(gym.make(env_id, frameskip=1, **kwargs))  # true score, before clipping
    return AtariWrapper(env, frame_skip=skip)


@functools.cache
def recent_monitor_class() -> type:
    """SB3's ``Monitor`` keeping the statistics of its last 100 episodes only.

    SB3's own appends every episode's return, length and time to lists it never trims
    (about 11 MiB per million steps on a small table, found by ``benchmarks/soak.py``);
    the logs and callbacks read each episode from ``info["episode"]`` instead.
    """
    from stable_baselines3.common.monitor import Monitor

    class RecentMonitor(Monitor):
        def __init__(self, env: gym.Env, **kwargs: Any) -> None:
            super().__init__(env, **kwargs)
            self.episode_returns = collections.deque(maxlen=100)  # type: ignore[assignment]
            self.episode_lengths = collections.deque(maxlen=100)  # type: ignore[assignment]
            self.episode_times = collections.deque(maxlen=100)  # type: ignore[assignment]

    return RecentMonitor


def make_env_fn(env_id: str, env_kwargs: dict[str, Any], atari: bool) -> Any:
    """A picklable ``() -> env`` of :func:`make_env`, as SB3's vector envs take."""
    return functools.partial(make_env, env_id, env_kwargs, atari)
