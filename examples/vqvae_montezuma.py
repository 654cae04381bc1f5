"""Train the world model's VQ-VAE tokenizer on Montezuma's Revenge frames.

Collects frames with random actions from ``ALE/MontezumaRevenge-v5`` (ale-py), or loads
them from an ``.npz`` written by ``--save-frames``, trains the tokenizer of a preset and
reports the reconstruction MSE (pixels in [0, 1], at the tokenizer's resolution) next to
the anchor of predicting the mean frame, and how much of the codebook is in use:

    python examples/vqvae_montezuma.py --preset small --frames 2000 --steps 3000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces

from aisam_agents.world_model import WorldModelConfig
from aisam_agents.world_model.tokenizers import VQTokenizer
from aisam_agents.world_model.vqvae import codebook_stats
from aisam_wrappers.models import resolve_device


def collect_frames(n: int, seed: int = 0) -> np.ndarray:
    """``(n, 210, 160, 3)`` uint8 frames of random play (frameskip 4, no sticky actions)."""
    import ale_py
    import gymnasium as gym  # noqa: I001  (ale_py first: it registers the ALE ids)

    gym.register_envs(ale_py)
    env = gym.make("ALE/MontezumaRevenge-v5", frameskip=4, repeat_action_probability=0.0)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    frames = [obs]
    while len(frames) < n:
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(0, 6)))
        if terminated or truncated:
            obs, _ = env.reset()
        frames.append(obs)
    env.close()
    return np.stack(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--load-frames", type=Path, default=None)
    parser.add_argument("--save-frames", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.load_frames:
        frames = np.load(args.load_frames)["frames"]
    else:
        frames = collect_frames(args.frames)
    if args.save_frames:
        np.savez_compressed(args.save_frames, frames=frames)
    device = resolve_device(args.device)
    config = WorldModelConfig.preset(args.preset)
    torch.manual_seed(0)
    space = spaces.Box(0, 255, frames.shape[1:], dtype=np.uint8)
    tokenizer = VQTokenizer(space, config).to(device)
    x = torch.as_tensor(frames, device=device)
    n_test = len(frames) // 10  # the last tenth is held out
    train, test = x[:-n_test], x[-n_test:]
    opt = torch.optim.Adam(tokenizer.parameters(), lr=args.lr)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for step in range(args.steps):
        idx = torch.as_tensor(rng.integers(0, len(train), args.batch_size), device=device)
        loss, metrics = tokenizer.loss(train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % max(1, args.steps // 10) == 0:
            print(f"step {step}: {metrics}")
    tokenizer.eval()
    with torch.no_grad():
        target = tokenizer.preprocess(test)
        codes = tokenizer.encode(test)
        mse = float(((tokenizer.decode(codes) - target) ** 2).mean())
        mean_frame = tokenizer.preprocess(train).mean(0, keepdim=True)
        anchor = float(((mean_frame - target) ** 2).mean())
    stats = codebook_stats(codes, config.codebook_size)
    print(
        f"preset={args.preset} image={config.image_size} "
        f"grid={config.grid_size}x{config.grid_size} "
        f"codebook={config.codebook_size} frames={len(frames)} steps={args.steps} "
        f"({time.perf_counter() - t0:.0f}s): held-out recon MSE {mse:.2e} vs mean-frame "
        f"{anchor:.2e} (ratio {mse / anchor:.2f}); codes used {stats['code_usage']:.0%}, "
        f"perplexity {stats['perplexity']:.1f}"
    )


if __name__ == "__main__":
    main()
