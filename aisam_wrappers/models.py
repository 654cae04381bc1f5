"""Learned predictive models for curiosity: Random Network Distillation and forward dynamics.

Both predict a fixed random embedding (a tanh network with orthogonal weights and zero
biases, so that each discrete state's code is its own and averages to zero over states:
nothing learned on one state predicts another's) with a diagonal Gaussian (mean and
log-variance per feature): the mean is trained by mean-squared error (the classic curiosity
signal, returned by ``prediction_error``), the variance by Gaussian NLL against the
detached mean (its entropy is ``predictive_entropy``). Image observations go through a
convolutional trunk, as in the RND paper (Burda et al. 2018): a dense layer over raw pixels
would be the largest part of the model and knows nothing of their layout. Both satisfy
:class:`~aisam_wrappers.protocols.PredictiveModel`. Needs torch ("agents" extra).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

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

ENCODERS = ("auto", "mlp", "cnn")
#: the smallest image side the three convolutions read (8/4, then 4/2, then 3/1)
CNN_MIN_SIDE = 36


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
        encoder: how observations enter the networks: ``"mlp"`` flattens them, ``"cnn"``
            reads an image (a 3-D ``Box``, channels first or last, sides >= 36) with the
            RND paper's three convolutions (32x8x8/4, 64x4x4/2, 64x3x3/1, leaky ReLU)
            before the dense layers; ``"auto"``: ``"cnn"`` for ``uint8`` images of that
            size, ``"mlp"`` otherwise.
        image_channels: how many of an image's channels the CNN reads, the last ones (the
            newest frames of a frame stack); 0 reads all. The RND paper reads only the
            newest frame of Atari's 4-frame stack (1): the target should describe where
            the agent is, not how it moved.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ...
        seed: seeds the network initialisation and the batch subsampling.
    """

    hidden: int = 128
    features: int = 64
    lr: float = 1e-2
    update_proportion: float = 1.0
    normalize_obs: bool = True
    encoder: str = "auto"
    image_channels: int = 0
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
        if self.encoder not in ENCODERS:
            raise InvalidConfigError(f"encoder must be one of {ENCODERS}, got {self.encoder!r}")
        check_int("image_channels", self.image_channels, 0)
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
    return _orthogonal(net)


def _orthogonal(net: nn.Module) -> nn.Module:
    """``net``'s linear and convolutional layers orthogonal (gain sqrt(2), the last one
    1) with zero biases, in order."""
    layers = [m for m in net.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    for i, layer in enumerate(layers):
        nn.init.orthogonal_(layer.weight, math.sqrt(2) if i < len(layers) - 1 else 1.0)
        nn.init.zeros_(layer.bias)
    return net


@dataclass(frozen=True)
class _ImageLayout:
    """Which part of an image observation the CNN reads: the last ``channels`` channels,
    as ``(channels, height, width)`` (moved there from channels-last)."""

    channels_first: bool
    channels: int
    height: int
    width: int

    @property
    def dim(self) -> int:
        return self.channels * self.height * self.width

    @property
    def conv_out(self) -> int:
        """Features after the three convolutions (3136 for 84x84)."""

        def side(n: int) -> int:
            return ((n - 8) // 4 + 1 - 4) // 2 + 1 - 2

        return 64 * side(self.height) * side(self.width)

    def trunk(self) -> nn.Sequential:
        """The RND paper's convolutions over the flattened ``(n, dim)`` features."""
        return nn.Sequential(
            nn.Unflatten(1, (self.channels, self.height, self.width)),
            nn.Conv2d(self.channels, 32, 8, 4),
            nn.LeakyReLU(),
            nn.Conv2d(32, 64, 4, 2),
            nn.LeakyReLU(),
            nn.Conv2d(64, 64, 3, 1),
            nn.LeakyReLU(),
            nn.Flatten(),
        )


def _image_layout(space: spaces.Space, config: ModelConfig) -> _ImageLayout | None:
    """The CNN's view of ``space`` (see :attr:`ModelConfig.encoder`), or None for the MLP."""
    layout = None
    if isinstance(space, spaces.Box) and len(space.shape) == 3:
        first = int(np.argmin(space.shape)) == 0  # the smallest axis holds the channels
        c, h, w = space.shape if first else (space.shape[2], *space.shape[:2])
        if min(h, w) >= CNN_MIN_SIDE:
            layout = _ImageLayout(first, c, h, w)
    encoder = config.encoder
    if encoder == "auto":
        is_frame = layout is not None and space.dtype == np.uint8
        encoder = "cnn" if is_frame else "mlp"
    if encoder == "mlp":
        if config.image_channels:
            raise InvalidConfigError(
                f"image_channels={config.image_channels} is read by the CNN encoder only, "
                f"and {space} is read by the MLP; drop image_channels or set encoder='cnn'"
            )
        return None
    if layout is None:
        raise UnsupportedSpaceError(
            f"encoder='cnn' reads 3-D image observations (channels first or last) with "
            f"sides of at least {CNN_MIN_SIDE} pixels, not {space}; use encoder='mlp'"
        )
    if config.image_channels > layout.channels:
        raise InvalidConfigError(
            f"image_channels={config.image_channels}, but the observations have "
            f"{layout.channels} channels"
        )
    return replace(layout, channels=config.image_channels or layout.channels)


class _Predictor(nn.Module):
    """The trunk over the observation's features, then an MLP over its output and the
    ``extra`` inputs (a forward model's action)."""

    def __init__(self, trunk: nn.Module, head: nn.Sequential) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = head

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        h = self.trunk(x)
        return self.head(h if extra is None else torch.cat([h, extra], dim=-1))


class _EmbeddingPredictor:
    """Shared machinery: encoders, a frozen random embedding, a Gaussian predictor.

    ``extra_in`` features beyond the observation enter the predictor's MLP (a forward
    model's action); the embedding reads the observation alone.
    """

    def __init__(self, observation_space: spaces.Space, extra_in: int, config: ModelConfig) -> None:
        self.config = config
        self.obs_encoder = FeatureEncoder(observation_space)
        self.image = _image_layout(observation_space, config)
        self.dim = self.obs_encoder.dim if self.image is None else self.image.dim
        trunk_out = self.dim if self.image is None else self.image.conv_out
        weights = (trunk_out + extra_in) * config.hidden
        if weights > TABLE_LIMIT:
            raise UnsupportedSpaceError(
                f"a {trunk_out + extra_in}-feature input to {config.hidden} "
                f"hidden units is a {weights}-weight first layer, over the dense-table limit "
                f"of {TABLE_LIMIT}; give a smaller ModelConfig(hidden=...) or pass "
                "model=<your PredictiveModel> with its own encoder"
            )
        self.device = resolve_device(config.device)
        self._obs_stats = RunningMeanStd((self.dim,))
        self._whiten = config.normalize_obs and self.obs_encoder.is_box
        self._rng = np.random.default_rng(config.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            if self.image is None:
                # tanh (odd, zero-mean) in the frozen target: a ReLU target has a mean output
                # over states (44% of its energy on one-hot inputs) that the predictor learns
                # from any state, so that part of the error says nothing about novelty
                self.embedding: nn.Module = _mlp(self.dim, config.hidden, config.features, nn.Tanh)
                trunk: nn.Module = nn.Identity()
            else:  # the RND paper's target: the convolutions, then one linear layer
                self.embedding = _orthogonal(
                    nn.Sequential(self.image.trunk(), nn.Linear(trunk_out, config.features))
                )
                trunk = _orthogonal(self.image.trunk())
            head = _mlp(trunk_out + extra_in, config.hidden, 2 * config.features)
            self.predictor = _Predictor(trunk, head)
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
        a quarter of the bytes, and the CPU does no per-pixel work. An image read by the
        CNN keeps only its read channels, channels first."""
        if self.obs_encoder.is_discrete:
            return torch.as_tensor(self.obs_encoder(obs), device=self.device)
        image = self.image
        if image is not None:  # the read channels only, sliced before the copy
            obs = np.asarray(obs)
            obs = obs[:, -image.channels :] if image.channels_first else obs[..., -image.channels :]
        x = torch.as_tensor(np.ascontiguousarray(obs), device=self.device)
        if image is not None and not image.channels_first:
            x = x.permute(0, 3, 1, 2)
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

    def predict(
        self, x: torch.Tensor, extra: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.predictor(x, extra).chunk(2, dim=-1)
        return mean, logvar.clamp(-10.0, 10.0)

    @torch.no_grad()
    def error(
        self, x: torch.Tensor, extra: torch.Tensor | None, target_features: torch.Tensor
    ) -> np.ndarray:
        mean, _ = self.predict(x, extra)
        target = self.embedding(target_features)
        return ((mean - target) ** 2).mean(dim=-1).float().cpu().numpy()

    @torch.no_grad()
    def entropy(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> np.ndarray:
        _, logvar = self.predict(x, extra)
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

    def train_step(
        self, x: torch.Tensor, extra: torch.Tensor | None, encoded_target: torch.Tensor
    ) -> dict[str, float]:
        """One Adam step: ``x`` (and ``extra``) predict the embedding of the observations
        encoded as ``encoded_target`` (:meth:`_encoded`), which first fold into the
        statistics."""
        target_x = self._fold(encoded_target)
        n = len(target_x)
        keep = max(1, int(round(self.config.update_proportion * n)))
        rows = np.sort(self._rng.choice(n, keep, replace=False)) if keep < n else slice(None)
        with torch.no_grad():
            target = self.embedding(self._whitened(target_x[rows]))
        mean, logvar = self.predict(x[rows], None if extra is None else extra[rows])
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
        self._core = _EmbeddingPredictor(observation_space, 0, config or ModelConfig())

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """MSE of the predicted embedding of ``next_obs``, ``(n,)`` float32."""
        features = self._core.obs_features(batch.next_obs)  # input and target: encode once
        return self._core.error(features, None, features)

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
        return core.train_step(core._whitened(x), None, x)


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
        self.action_encoder = FeatureEncoder(action_space, "action")
        self._core = _EmbeddingPredictor(
            observation_space, self.action_encoder.dim, config or ModelConfig()
        )

    def _actions(self, actions: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.action_encoder(actions), device=self._core.device)

    def prediction_error(self, batch: Transitions) -> np.ndarray:
        """MSE of the predicted embedding of ``next_obs``, ``(n,)`` float32."""
        core = self._core
        x, a = core.obs_features(batch.obs), self._actions(batch.actions)
        return core.error(x, a, core.obs_features(batch.next_obs))

    def predictive_entropy(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Entropy of the Gaussian predicted for the next embedding, ``(n,)`` nats."""
        return self._core.entropy(self._core.obs_features(obs), self._actions(actions))

    def observe(self, batch: Transitions) -> None:
        """Folds ``next_obs`` (the predicted target's input) into the observation
        statistics only (a warm-up)."""
        self._core.observe(batch.next_obs)

    def update(self, batch: Transitions) -> dict[str, float]:
        """One Adam step of the predictor on the batch."""
        core = self._core
        x, a = core.obs_features(batch.obs), self._actions(batch.actions)
        return core.train_step(x, a, core._encoded(batch.next_obs))
