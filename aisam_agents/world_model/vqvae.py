"""VQ-VAE: turns a frame (or a vector) into a few discrete codes and back.

The quantizer keeps its codebook by exponential moving averages of the encoder outputs
assigned to each code (van den Oord et al. 2017, appendix) or by a straight-through
codebook loss, and restarts dead codes (codes that no encoder output has chosen for a
while) from random encoder outputs of the current batch, so the whole book stays in use.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

USAGE_DECAY = 0.9  # a code unchosen for ~20 batches is restarted (at the default threshold)


class VectorQuantizer(nn.Module):
    """Nearest-code quantization of ``(N, code_dim)`` vectors.

    Args:
        codebook_size: number of codes K.
        code_dim: width D of each code.
        beta: commitment-loss weight.
        ema: update codes by EMA (else a codebook loss trains them by gradient).
        decay: EMA decay.
        dead_threshold: per-batch usage (EMA, decay 0.9) under which a code is restarted.
    """

    def __init__(
        self,
        codebook_size: int,
        code_dim: int,
        *,
        beta: float = 0.25,
        ema: bool = True,
        decay: float = 0.99,
        dead_threshold: float = 0.1,
    ) -> None:
        super().__init__()
        self.codebook_size, self.code_dim = codebook_size, code_dim
        self.beta, self.ema, self.decay, self.dead_threshold = beta, ema, decay, dead_threshold
        init = torch.randn(codebook_size, code_dim) / math.sqrt(code_dim)
        if ema:
            self.register_buffer("codebook", init)
            self.register_buffer("cluster_size", torch.ones(codebook_size))
            self.register_buffer("embed_sum", init.clone())
        else:
            self.codebook = nn.Parameter(init)
        # EMA of how often each code is chosen per batch; 0 at first, so the first
        # training batch restarts every code from encoder outputs (a data-driven init)
        self.register_buffer("usage", torch.zeros(codebook_size))
        self.generator: torch.Generator | None = None  # set for reproducible restarts

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """``(N,)`` int64 index of the nearest code of each row of ``z`` ``(N, D)``."""
        book = self.codebook.float()
        z = z.float()
        dist = z.pow(2).sum(1, keepdim=True) - 2 * z @ book.t() + book.pow(2).sum(1)[None]
        return dist.argmin(dim=1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantizes ``z`` ``(N, D)``.

        Returns:
            ``z_q`` ``(N, D)`` with straight-through gradients to ``z``, the codes ``(N,)``
            and the scalar VQ loss (commitment, plus the codebook term without EMA).
        """
        z = z.float()
        codes = self.codes(z)
        z_q = F.embedding(codes, self.codebook.float())
        loss = self.beta * F.mse_loss(z, z_q.detach())
        if not self.ema:
            loss = loss + F.mse_loss(z_q, z.detach())
        if self.training:
            self._update(z.detach(), codes)
        return z + (z_q - z).detach(), codes, loss

    @torch.no_grad()
    def _update(self, z: torch.Tensor, codes: torch.Tensor) -> None:
        onehot = F.one_hot(codes, self.codebook_size).type(z.dtype)
        counts = onehot.sum(0)
        self.usage.mul_(USAGE_DECAY).add_(counts, alpha=1 - USAGE_DECAY)
        if self.ema:
            self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
            self.embed_sum.mul_(self.decay).add_(onehot.t() @ z, alpha=1 - self.decay)
            n = self.cluster_size.sum()
            smoothed = (self.cluster_size + 1e-5) / (n + self.codebook_size * 1e-5) * n
            self.codebook.copy_(self.embed_sum / smoothed[:, None])
        # restart dead codes with masks, not by counting them: no host sync per step
        dead = self.usage < self.dead_threshold
        rows = torch.randint(
            0, z.shape[0], (self.codebook_size,), device=z.device, generator=self.generator
        )
        book = torch.where(dead[:, None], z[rows], self.codebook)
        self.codebook.data.copy_(book)
        self.usage.masked_fill_(dead, 1.0)
        if self.ema:
            self.cluster_size.masked_fill_(dead, 1.0)
            self.embed_sum.copy_(torch.where(dead[:, None], book, self.embed_sum))


class _ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


def conv_encoder(in_channels: int, channels: int, code_dim: int, n_down: int) -> nn.Module:
    """``(N, C, S, S)`` -> ``(N, code_dim, S / 2**n_down, S / 2**n_down)``."""
    layers: list[nn.Module] = []
    for i in range(n_down):
        layers += [nn.Conv2d(in_channels if i == 0 else channels, channels, 4, 2, 1), nn.ReLU()]
    if n_down == 0:
        layers += [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU()]
    layers += [_ResBlock(channels), nn.ReLU(), nn.Conv2d(channels, code_dim, 1)]
    return nn.Sequential(*layers)


def conv_decoder(out_channels: int, channels: int, code_dim: int, n_up: int) -> nn.Module:
    """Mirror of :func:`conv_encoder`."""
    layers: list[nn.Module] = [nn.Conv2d(code_dim, channels, 3, padding=1), _ResBlock(channels)]
    for i in range(n_up):
        last = i == n_up - 1
        layers += [
            nn.ReLU(),
            nn.ConvTranspose2d(channels, out_channels if last else channels, 4, 2, 1),
        ]
    if n_up == 0:
        layers += [nn.ReLU(), nn.Conv2d(channels, out_channels, 3, padding=1)]
    return nn.Sequential(*layers)


class VQVAE(nn.Module):
    """Encoder, quantizer and decoder for images or vectors.

    Images are ``(N, C, S, S)`` floats in [0, 1] and become ``grid x grid`` codes;
    vectors are ``(N, D)`` floats and become ``n_tokens`` codes.

    Args:
        kind: ``"image"`` or ``"vector"``.
        in_shape: ``(C, S, S)`` for images, ``(D,)`` for vectors.
        n_tokens: codes per input (``grid**2`` for images).
        codebook_size, code_dim, hidden: book size, code width, encoder/decoder width.
        **vq_kwargs: passed to :class:`VectorQuantizer`.
    """

    def __init__(
        self,
        kind: str,
        in_shape: tuple[int, ...],
        n_tokens: int,
        codebook_size: int,
        code_dim: int,
        hidden: int,
        **vq_kwargs: float | bool,
    ) -> None:
        super().__init__()
        self.kind, self.in_shape, self.n_tokens, self.code_dim = kind, in_shape, n_tokens, code_dim
        if kind == "image":
            grid = math.isqrt(n_tokens)
            n_down = int(math.log2(in_shape[1] // grid))
            self.encoder = conv_encoder(in_shape[0], hidden, code_dim, n_down)
            self.decoder = conv_decoder(in_shape[0], hidden, code_dim, n_down)
            self.grid = grid
        else:
            dim = in_shape[0]
            self.encoder = nn.Sequential(
                nn.Linear(dim, hidden),
                nn.ReLU(),
                nn.Linear(hidden, hidden),
                nn.ReLU(),
                nn.Linear(hidden, n_tokens * code_dim),
            )
            self.decoder = nn.Sequential(
                nn.Linear(n_tokens * code_dim, hidden),
                nn.ReLU(),
                nn.Linear(hidden, hidden),
                nn.ReLU(),
                nn.Linear(hidden, dim),
            )
        self.quantizer = VectorQuantizer(codebook_size, code_dim, **vq_kwargs)

    def _latents(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, n_tokens, code_dim)`` encoder outputs."""
        z = self.encoder(x)
        if self.kind == "image":
            return z.flatten(2).transpose(1, 2)
        return z.view(x.shape[0], self.n_tokens, self.code_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, *in_shape)`` -> ``(N, n_tokens)`` int64 codes."""
        z = self._latents(x)
        return self.quantizer.codes(z.reshape(-1, self.code_dim)).view(x.shape[0], self.n_tokens)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """``(N, n_tokens)`` codes -> ``(N, *in_shape)`` reconstructions."""
        z = F.embedding(codes, self.quantizer.codebook.float())
        return self._decode_latents(z)

    def _decode_latents(self, z: torch.Tensor) -> torch.Tensor:
        if self.kind == "image":
            z = z.transpose(1, 2).reshape(z.shape[0], self.code_dim, self.grid, self.grid)
            return self.decoder(z)
        return self.decoder(z.reshape(z.shape[0], -1))

    def _run(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder outputs ``(N * n_tokens, D)``, reconstruction, codes ``(N * n_tokens,)``
        and VQ loss of one pass."""
        z = self._latents(x)
        flat = z.reshape(-1, self.code_dim)
        z_q, codes, vq_loss = self.quantizer(flat)
        return flat, self._decode_latents(z_q.view(z.shape)), codes, vq_loss

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns the reconstruction, the codes ``(N, n_tokens)`` and the VQ loss."""
        _, recon, codes, vq_loss = self._run(x)
        return recon, codes.view(x.shape[0], self.n_tokens), vq_loss

    def loss_and_codes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction MSE plus VQ loss, and the codes ``(N, n_tokens)`` that
        :meth:`encode` gives ``x`` after this batch's codebook update, from one encoder
        pass and with no host synchronisation (no metrics)."""
        z, recon, codes, vq_loss = self._run(x)
        if self.quantizer.training:  # the update moved the codebook: assign again, in fp32
            with torch.autocast(x.device.type, enabled=False):
                codes = self.quantizer.codes(z.detach())
        loss = F.mse_loss(recon.float(), x.float()) + vq_loss
        return loss, codes.view(x.shape[0], self.n_tokens)

    def loss(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """Reconstruction MSE plus VQ loss on a batch, and its metrics."""
        recon, codes, vq_loss = self(x)
        mse = F.mse_loss(recon.float(), x.float())
        stats = codebook_stats(codes, self.quantizer.codebook_size)
        return mse + vq_loss, {
            "recon_mse": float(mse.detach()),
            "vq_loss": float(vq_loss.detach()),
            **stats,
        }


def codebook_stats(codes: torch.Tensor, codebook_size: int) -> dict[str, float]:
    """Fraction of the codebook that ``codes`` use, and the perplexity of their histogram."""
    counts = torch.bincount(codes.reshape(-1), minlength=codebook_size).float()
    p = counts / counts.sum()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"code_usage": float((counts > 0).float().mean()), "perplexity": float(entropy.exp())}
