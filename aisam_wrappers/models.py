"""Learned predictive models for curiosity: Random Network Distillation and forward dynamics.

Both predict a fixed random embedding (a tanh network with orthogonal weights and zero
biases, so that each discrete state's code is its own and averages to zero over states:
nothing learned on one state predicts another's) with a diagonal Gaussian (mean and
log-variance per feature): the mean is trained by mean-squared error (the classic curiosity
signal, returned by ``prediction_error``), the variance by Gaussian NLL against the
detached mean (its entropy is ``predictive_entropy``). Both satisfy
:class:`~aisam_wrappers.protocols.PredictiveModel`. Needs torch ("agents" extra).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from aisam_envs.errors import (
    InvalidConfigError,
    check_bool,
    check_device_name,
    check_int,
    check_real,
    resolve_device,
)
from aisam_wrappers.batch import Transitions
from aisam_wrappers.encoding import FeatureEncoder
from aisam_wrappers.errors import UnsupportedSpaceError
from aisam_wrappers.memory import TABLE_LIMIT
from aisam_wrappers.normalize import RunningMeanStd


@dataclass(frozen=True)
class ModelConfig:
    """Settings of :class:`RNDModel` and :class:`ForwardDynamicsModel`.

    Attributes:
        hidden: width of the hidden layers.
        features: size of the random embedding that is predicted.
        lr: Adam learning rate of the predictor (high, as the bonus must track visits
            after a few hundred online steps; 3e-3 and 1e-3 were no better on the
            bonus study's tuning seeds, and worse on its 160-state ``clusters`` table).
        update_proportion: fraction of each batch the predictor trains on (RND: 0.25
            with many envs, so it does not learn too fast).
        normalize_obs: whiten ``Box`` observations by running mean/std, clipped to +-5.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ...
        seed: seeds the network initialisation and the batch subsampling.
    """

    hidden: int = 128
    features: int = 64
    lr: float = 1e-2
    update_proportion: float = 1.0
    normalize_obs: bool = True
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("hidden", self.hidden, 1)
        check_int("features", self.features, 1)
        if not check_real("lr", self.lr) > 0:
            raise InvalidConfigError(f"lr must be > 0, got {self.lr}")
        if not 0 < check_real("update_proportion", self.update_proportion) <= 1:
            raise InvalidConfigError(
                f"update_proportion must be in (0, 1], got {self.update_proportion}"
            )
        check_int("seed", self.seed, 0, 2**64 - 1)  # torch.manual_seed's range
        check_bool("normalize_obs", self.normalize_obs)
        check_device_name(self.device)


def _mlp(inp: int, hidden: int, out: int, activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Three linear layers, orthogonally initialised with zero biases (as in RND).

    PyTorch's default init would let the biases dominate: a one-hot input (a
    ``Discrete`` observation) selects a single weight column of scale
    ``1/sqrt(fan_in)``, about the size of one bias, and every later layer adds
    biases larger than what it passes on. The random target is then nearly the same
    vector for every state (98% of its energy on a 160-state table), the predictor
    learns that vector from whatever states it sees, and the error of states it
    never saw falls as fast as that of visited ones. Orthogonal weights with gain
    sqrt(2) keep each state's own column at unit scale through the layers.
    """
    net = nn.Sequential(
        nn.Linear(inp, hidden),
        activation(),
        nn.Linear(hidden, hidden),
        activation(),
        nn.Linear(hidden, out),
    )
    linears = [m for m in net if isinstance(m, nn.Linear)]
    for i, layer in enumerate(linears):
        nn.init.orthogonal_(layer.weight, math.sqrt(2) if i < len(linears) - 1 else 1.0)
        nn.init.zeros_(layer.bias)
    return net


class _EmbeddingPredictor:
    """Shared machinery: encoders, a frozen random embedding, a Gaussian predictor."""

    def __init__(self, observation_space: spaces.Space, pred_in: int, config: ModelConfig) -> None:
        self.config = config
        self.obs_encoder = FeatureEncoder(observation_space)
        weights = max(self.obs_encoder.dim, pred_in) * config.hidden
        if weights > TABLE_LIMIT:
            raise UnsupportedSpaceError(
                f"a {max(self.obs_encoder.dim, pred_in)}-feature input to {config.hidden} "
                f"hidden units is a {weights}-weight first layer, over the dense-table limit "
                f"of {TABLE_LIMIT}; give a smaller ModelConfig(hidden=...) or pass "
                "model=<your PredictiveModel> with its own encoder"
            )
        self.device = resolve_device(config.device)
        self._obs_stats = RunningMeanStd((self.obs_encoder.dim,))
        self._whiten = config.normalize_obs and self.obs_encoder.is_box
        self._rng = np.random.default_rng(config.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            # tanh (odd, zero-mean) in the frozen target: a ReLU target has a mean output
            # over states (44% of its energy on one-hot inputs) that the predictor learns
            # from any state, so that part of the error says nothing about novelty
            self.embedding = _mlp(self.obs_encoder.dim, config.hidden, config.features, nn.Tanh)
            self.predictor = _mlp(pred_in, config.hidden, 2 * config.features)
        self.embedding.to(self.device).requires_grad_(False)
        self.predictor.to(self.device)
        self.optimizer = torch.optim.Adam(self.predictor.parameters(), lr=config.lr)

    def obs_features(self, obs: np.ndarray) -> torch.Tensor:
        """``(n, dim)`` float32 model inputs of ``obs`` on the model's device (whitened
        ``Box`` observations: see :meth:`_whitened`)."""
        return self._whitened(self._encoded(obs))

    def _encoded(self, obs: np.ndarray) -> torch.Tensor:
        """``(n, dim)`` float32 features of ``obs`` on the device. Arrays go there in
        their own dtype and are flattened and cast there: a batch of uint8 frames moves
        a quarter of the bytes, and the CPU does no per-pixel work."""
        if self.obs_encoder.is_discrete:
            return torch.as_tensor(self.obs_encoder(obs), device=self.device)
        x = torch.as_tensor(np.ascontiguousarray(obs), device=self.device)
        return x.reshape(len(x), -1).float()

    def _whitened(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` whitened by the running observation statistics and clipped to +-5, on
        the device (unchanged unless :attr:`ModelConfig.normalize_obs` and ``Box``)."""
        if not self._whiten:
            return x
        stats = self._obs_stats
        mean = torch.as_tensor(stats.mean, dtype=torch.float32, device=self.device)
        std = torch.as_tensor(stats.std, dtype=torch.float32, device=self.device)
        return ((x - mean) / (std + 1e-8)).clamp_(-5.0, 5.0)

    def predict(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.predictor(inputs).chunk(2, dim=-1)
        return mean, logvar.clamp(-10.0, 10.0)

    @torch.no_grad()
    def error(self, inputs: torch.Tensor, target_features: torch.Tensor) -> np.ndarray:
        mean, _ = self.predict(inputs)
        target = self.embedding(target_features)
        return ((mean - target) ** 2).mean(dim=-1).float().cpu().numpy()

    @torch.no_grad()
    def entropy(self, inputs: torch.Tensor) -> np.ndarray:
        _, logvar = self.predict(inputs)
        ent = 0.5 * (logvar + math.log(2 * math.pi * math.e)).sum(dim=-1)
        return ent.float().cpu().numpy()

    def observe(self, obs: np.ndarray) -> None:
        """Folds ``obs`` into the observation statistics (nothing else changes)."""
        self._fold(self._encoded(obs))

    def _fold(self, x: torch.Tensor) -> torch.Tensor:
        """Folds encoded observations into the whitening statistics (when whitening):
        the batch's moments on the device, merged on the host. Returns ``x``."""
        if self._whiten and len(x):
            x64 = x.double()
            moments = torch.stack([x64.mean(0), x64.var(0, correction=0)]).cpu().numpy()
            self._obs_stats.update_moments(moments[0], moments[1], len(x))
        return x

    def train_step(self, inputs: torch.Tensor, encoded_target: torch.Tensor) -> dict[str, float]:
        """One Adam step: ``inputs`` predict the embedding of the observations encoded as
        ``encoded_target`` (:meth:`_encoded`), which first fold into the statistics."""
        x = self._fold(encoded_target)
        n = len(x)
        keep = max(1, int(round(self.config.update_proportion * n)))
        rows = np.sort(self._rng.choice(n, keep, replace=False)) if keep < n else slice(None)
        with torch.no_grad():
            target = self.embedding(self._whitened(x[rows]))
        mean, logvar = self.predict(inputs[rows])
        mse = ((mean - target) ** 2).mean()
        nll = 0.5 * (logvar + (mean.detach() - target) ** 2 * torch.exp(-logvar)).mean()
        self.optimizer.zero_grad(set_to_none=True)
        (mse + nll).backward()
        self.optimizer.step()
        mse_value, nll_value = torch.stack([mse, nll]).tolist()  # one device sync
        return {"mse": mse_value, "nll": nll_value}


class RNDModel:
    """Random Network Distillation: predict a frozen random embedding of the observation.

    ``prediction_error(obs, actions, next_obs)`` is the error on ``next_obs`` (novel
    observations are badly predicted); ``predictive_entropy(obs, actions)`` is the
    entropy (nats) of the Gaussian predicted for ``obs``'s embedding.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space | None = None,
        config: ModelConfig | None = None,
    ) -> None:
        config = config or ModelConfig()
        self._core = _EmbeddingPredictor(
            observation_space, FeatureEncoder(observation_space).dim, config
        )

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """MSE of the predicted embedding of ``next_obs``, ``(n,)`` float32."""
        features = self._core.obs_features(batch.next_obs)  # input and target: encode once
        return self._core.error(features, features)

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Entropy of the Gaussian predicted for ``obs``'s embedding, ``(n,)`` nats."""
        return self._core.entropy(self._core.obs_features(obs))

    def observe(self, batch: Transitions) -> None:
        """Folds ``next_obs`` into the observation statistics only (a warm-up)."""
        self._core.observe(batch.next_obs)

    def update(self, batch: Transitions) -> dict[str, float]:
        """One Adam step of the predictor on ``next_obs``."""
        core = self._core
        x = core._encoded(batch.next_obs)  # input and target: encoded once
        return core.train_step(core._whitened(x), x)


class ForwardDynamicsModel:
    """Forward dynamics in a random embedding: predict ``phi(next_obs)`` from obs and action.

    ``prediction_error`` is the MSE of that prediction (ICM-style curiosity with fixed
    random features); ``predictive_entropy`` the entropy of its Gaussian, in nats.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        config: ModelConfig | None = None,
    ) -> None:
        config = config or ModelConfig()
        self.action_encoder = FeatureEncoder(action_space, "action")
        obs_dim = FeatureEncoder(observation_space).dim
        self._core = _EmbeddingPredictor(
            observation_space, obs_dim + self.action_encoder.dim, config
        )

    def _inputs(self, obs: np.ndarray, actions: np.ndarray) -> torch.Tensor:
        a = torch.as_tensor(self.action_encoder(actions), device=self._core.device)
        return torch.cat([self._core.obs_features(obs), a], dim=-1)

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """MSE of the predicted embedding of ``next_obs``, ``(n,)`` float32."""
        inputs = self._inputs(batch.obs, batch.actions)
        return self._core.error(inputs, self._core.obs_features(batch.next_obs))

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Entropy of the Gaussian predicted for the next embedding, ``(n,)`` nats."""
        return self._core.entropy(self._inputs(obs, actions))

    def observe(self, batch: Transitions) -> None:
        """Folds ``next_obs`` (the predicted target's input) into the observation
        statistics only (a warm-up)."""
        self._core.observe(batch.next_obs)

    def update(self, batch: Transitions) -> dict[str, float]:
        """One Adam step of the predictor on the batch."""
        inputs = self._inputs(batch.obs, batch.actions)
        return self._core.train_step(inputs, self._core._encoded(batch.next_obs))
