"""HookedPPO: the shared PPO update loop trains and logs exactly as SB3's PPO."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import IdentityEnv, IdentityEnvBox
from stable_baselines3.common.logger import configure

from aisam_agents.errors import CheckpointError
from aisam_agents.ppo_loop import HookedPPO, approx_kl, clip_values, surrogate_losses
from aisam_envs.errors import InvalidConfigError

KWARGS = dict(n_steps=32, batch_size=48, n_epochs=3, device="cpu")


def _train(cls: type[PPO], make_env, tmp_path: Path, **kwargs) -> tuple[PPO, dict[str, str]]:
    model = cls("MlpPolicy", make_vec_env(make_env, n_envs=4, seed=0), seed=0, **kwargs)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(256)
    with open(tmp_path / "progress.csv") as f:
        last = list(csv.DictReader(f))[-1]
    return model, last


@pytest.mark.parametrize(
    ("make_env", "extra"),
    [
        (lambda: IdentityEnv(4), {}),
        (lambda: IdentityEnv(4), {"target_kl": 1e-8, "clip_range_vf": 0.2}),  # stops early
        (lambda: IdentityEnvBox(eps=0.5), {"ent_coef": 0.01}),  # train/std is logged
    ],
)
def test_default_hook_matches_sb3_ppo(make_env, extra: dict, tmp_path: Path) -> None:
    ours, our_logs = _train(HookedPPO, make_env, tmp_path / "ours", **KWARGS, **extra)
    sb3, sb3_logs = _train(PPO, make_env, tmp_path / "sb3", **KWARGS, **extra)
    for p, q in zip(ours.policy.parameters(), sb3.policy.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    train_keys = sorted(k for k in sb3_logs if k.startswith("train/"))
    assert sorted(k for k in our_logs if k.startswith("train/")) == train_keys
    for key in train_keys:
        np.testing.assert_allclose(float(our_logs[key]), float(sb3_logs[key]), rtol=1e-5, atol=1e-7)
    assert ours._n_updates == sb3._n_updates
    if "target_kl" in extra:  # the early stop fired: fewer than n_epochs passes per update
        assert sb3._n_updates < 3 * 2


class _ZeroLoss(HookedPPO):
    """A hook whose loss has no gradient from the policy: nothing may change."""

    def minibatch_loss(self, data, clip_range, clip_range_vf):
        zero = torch.zeros((), requires_grad=True)
        return zero, {
            "train/approx_kl": torch.zeros(()),
            "custom/rows": torch.tensor(len(data.advantages)),
        }


def test_the_hook_is_called_per_minibatch_and_its_stats_are_logged(tmp_path: Path) -> None:
    model, logs = _train(_ZeroLoss, lambda: IdentityEnv(4), tmp_path, **KWARGS)
    fresh = _ZeroLoss("MlpPolicy", make_vec_env(lambda: IdentityEnv(4), n_envs=4, seed=0),
                      seed=0, **KWARGS)  # fmt: skip
    for p, q in zip(model.policy.parameters(), fresh.policy.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    # 128 rows in minibatches of 48: 48, 48, 32 -> mean 42.67 over every epoch and update
    assert float(logs["custom/rows"]) == pytest.approx(128 / 3)
    assert model._n_updates == 3 * 2


def test_loss_pieces() -> None:
    ratio = torch.tensor([0.5, 1.0, 1.5])
    adv = torch.tensor([1.0, -1.0, 1.0])
    torch.testing.assert_close(surrogate_losses(ratio, adv, 0.2), torch.tensor([-0.5, 1.0, -1.2]))
    torch.testing.assert_close(
        clip_values(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1.0]), 0.5),
        torch.tensor([0.5, 1.5]),
    )
    values = torch.tensor([3.0])
    assert clip_values(values, torch.tensor([0.0]), None) is values
    torch.testing.assert_close(approx_kl(torch.zeros(4)), torch.tensor(0.0))
    assert approx_kl(torch.tensor([0.3, -0.3])) > 0


def test_load_is_checked(tmp_path: Path) -> None:
    env = make_vec_env(lambda: IdentityEnv(4), n_envs=1)
    model = HookedPPO("MlpPolicy", env, n_steps=8, device="cpu")
    model.save(tmp_path / "m")
    assert isinstance(HookedPPO.load(tmp_path / "m", env=env, device="cpu"), HookedPPO)
    with pytest.raises(CheckpointError, match="saved for another env: its observation_space"):
        HookedPPO.load(tmp_path / "m", env=make_vec_env(lambda: IdentityEnv(5)), device="cpu")
    with pytest.raises(CheckpointError, match="no saved model"):
        HookedPPO.load(tmp_path / "nope", device="cpu")
    with pytest.raises(InvalidConfigError, match="n_epochs must be >= 1"):
        HookedPPO.load(tmp_path / "m", device="cpu", n_epochs=0)
    with pytest.raises(InvalidConfigError, match="n_epochs must be >= 1"):
        HookedPPO("MlpPolicy", env, n_epochs=0, device="cpu")
