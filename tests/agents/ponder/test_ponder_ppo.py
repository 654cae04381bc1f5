"""PonderPPO: learning, SB3 integration (save/load, evaluate_policy, callbacks, CLI)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from agent_checks import learn_save_load
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.envs import (
    FakeImageEnv,
    IdentityEnvBox,
    IdentityEnvMultiBinary,
    IdentityEnvMultiDiscrete,
    SimpleMultiObsEnv,
)
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import configure

import aisam_envs  # noqa: F401  (registers aisam/Parity-v0)
from aisam_agents.errors import AisamAgentError, CheckpointError
from aisam_agents.ponder.policy import PonderActorCriticPolicy
from aisam_agents.ponder_ppo import PonderPPO
from aisam_envs.errors import InvalidConfigError
from aisam_envs.parity import sample_parity

SMALL = dict(n_steps=32, batch_size=64, n_epochs=2, device="cpu",
             policy_kwargs=dict(hidden_dim=16, max_steps=4))  # fmt: skip


def _parity_env(n_envs: int = 4, seed: int = 0, **env_kwargs):
    kwargs = {"n_bits": 3, **env_kwargs}
    return make_vec_env("aisam/Parity-v0", n_envs=n_envs, seed=seed, env_kwargs=kwargs)


@pytest.mark.parametrize("seed", [0, 1])
def test_learns_xor_parity(seed: int) -> None:
    # 2 bits, both active: the parity of the +1 entries is the XOR of the signs.
    env = _parity_env(n_envs=8, seed=seed, n_bits=2, min_active=2)
    model = PonderPPO("MlpPolicy", env, seed=seed, n_steps=32, batch_size=64, n_epochs=4,
                      learning_rate=1e-3, ent_coef=0.01, device="cpu",
                      policy_kwargs=dict(hidden_dim=32, max_steps=4))  # fmt: skip
    model.learn(8192)
    x, parity, _ = sample_parity(np.random.default_rng(0), 256, 2, 2, 2)
    actions, _ = model.predict(x, deterministic=True)
    assert (actions == parity).mean() == 1.0
    mean_reward, _ = evaluate_policy(model, env, n_eval_episodes=64, deterministic=True)
    assert mean_reward == 1.0


def test_rollout_log_prob_is_the_mixture_the_update_sees() -> None:
    model = PonderPPO("MlpPolicy", _parity_env(), seed=0, **SMALL)
    model.learn(128)  # one rollout + one update; then collect a fresh rollout
    model._last_obs = model.env.reset()
    model.collect_rollouts(model.env, model._init_callback(None), model.rollout_buffer, 32)
    data = next(model.rollout_buffer.get(None))
    with torch.no_grad():
        ev = model.policy.evaluate_steps(data.observations, data.actions.long().flatten())
    torch.testing.assert_close(ev.log_prob, data.old_log_prob, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ev.value, data.old_values, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ev.trace.p.sum(0), torch.ones(len(ev.value)))


def test_logs_ponder_metrics_and_runs_callbacks(tmp_path: Path) -> None:
    class Count(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def _on_step(self) -> bool:
            self.calls += 1
            return True

    model = PonderPPO("MlpPolicy", _parity_env(), seed=0, **SMALL)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    callback = Count()
    model.learn(256, callback=callback)
    assert callback.calls == 256 // 4
    with open(tmp_path / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    steps = [float(r["ponder/expected_steps"]) for r in rows if r["ponder/expected_steps"]]
    kls = [float(r["ponder/kl"]) for r in rows if r["ponder/kl"]]
    assert steps and all(1.0 <= s <= 4.0 for s in steps)
    assert kls and all(k >= 0.0 for k in kls)


def test_save_load_gives_identical_actions(tmp_path: Path) -> None:
    env = _parity_env()
    model = PonderPPO("MlpPolicy", env, seed=0, lambda_p=0.4, ponder_beta=0.02, **SMALL)
    model.learn(256)
    model.save(tmp_path / "model")
    loaded = PonderPPO.load(tmp_path / "model", env=env, device="cpu")
    assert (loaded.lambda_p, loaded.ponder_beta) == (0.4, 0.02)
    assert loaded.policy.max_steps == 4 and loaded.policy.lambda_init == 0.4
    x, _, _ = sample_parity(np.random.default_rng(1), 200, 3, 1, 3)
    a, _ = model.predict(x, deterministic=True)
    b, _ = loaded.predict(x, deterministic=True)
    np.testing.assert_array_equal(a, b)
    loaded.learn(64)  # and it trains on


def test_deterministic_predict_is_deterministic_and_same_seed_same_model() -> None:
    models = []
    for _ in range(2):
        model = PonderPPO("MlpPolicy", _parity_env(), seed=3, **SMALL)
        model.learn(128)
        models.append(model)
    x, _, _ = sample_parity(np.random.default_rng(2), 100, 3, 1, 3)
    a = models[0].predict(x, deterministic=True)[0]
    np.testing.assert_array_equal(a, models[0].predict(x, deterministic=True)[0])
    for p, q in zip(models[0].policy.parameters(), models[1].policy.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("policy", "env"),
    [
        ("CnnPolicy", lambda: FakeImageEnv(screen_height=36, screen_width=36, n_channels=1)),
        ("MultiInputPolicy", lambda: SimpleMultiObsEnv(random_start=False)),
        ("MlpPolicy", lambda: IdentityEnvBox(eps=0.5)),
        ("MlpPolicy", lambda: IdentityEnvMultiDiscrete(dim=3)),
        ("MlpPolicy", lambda: IdentityEnvMultiBinary(dim=3)),
    ],
)
def test_policy_aliases_and_action_spaces(policy: str, env, tmp_path: Path) -> None:
    venv = make_vec_env(env, n_envs=2, seed=0)
    model = PonderPPO(policy, venv, seed=0, **{**SMALL, "n_steps": 16, "batch_size": 16})
    assert isinstance(model.policy, PonderActorCriticPolicy)
    a = learn_save_load(model, venv, tmp_path / "m")
    assert venv.action_space.contains(a[0])


def test_get_distribution_is_the_mixture_for_discrete_actions() -> None:
    model = PonderPPO("MlpPolicy", _parity_env(), seed=0, **SMALL)
    obs = torch.as_tensor(sample_parity(np.random.default_rng(0), 8, 3, 1, 3)[0])
    actions = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    with torch.no_grad():
        dist = model.policy.get_distribution(obs)
        ev = model.policy.evaluate_steps(obs, actions)
    torch.testing.assert_close(dist.log_prob(actions), ev.log_prob)
    box = PonderPPO("MlpPolicy", make_vec_env(lambda: IdentityEnvBox(), n_envs=1), **SMALL)
    with pytest.raises(AisamAgentError, match="Discrete"):
        box.policy.get_distribution(torch.zeros(1, 1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lambda_p": 1.0}, "lambda_p"),
        ({"lambda_p": "0.5"}, "lambda_p must be a real number"),
        ({"ponder_beta": -0.1}, "beta"),
        ({"ponder_beta": float("nan")}, "beta must be finite"),
        ({"ponder_beta": float("inf")}, "beta must be finite"),
        ({"n_epochs": 0}, "n_epochs must be >= 1"),
        ({"n_epochs": 2.5}, "n_epochs must be an int"),
        ({"policy_kwargs": {"net_arch": [64]}}, "net_arch"),
        ({"policy_kwargs": {"max_steps": 0}}, "max_steps"),
        ({"policy_kwargs": {"max_steps": 2.9}}, "max_steps must be an int, got 2.9"),
        ({"policy_kwargs": {"max_steps": True}}, "max_steps must be an int, got True"),
        ({"policy_kwargs": {"max_steps": "abc"}}, "max_steps must be an int"),
        ({"policy_kwargs": {"hidden_dim": 1.7}}, "hidden_dim must be an int"),
        ({"policy_kwargs": {"halt_epsilon": "0"}}, "halt_epsilon must be a real number"),
        ({"policy_kwargs": {"share_features_extractor": False}}, "share"),
        ({"use_sde": True}, "gSDE"),
    ],
)
def test_bad_settings_are_rejected(kwargs: dict, match: str) -> None:
    env = make_vec_env(lambda: IdentityEnvBox(), n_envs=1)
    with pytest.raises(InvalidConfigError, match=match):
        PonderPPO("MlpPolicy", env, device="cpu", **kwargs)


def test_numpy_int_sizes_are_accepted() -> None:
    kwargs = {**SMALL, "n_epochs": np.int64(1), "policy_kwargs": {"max_steps": np.int64(3)}}
    model = PonderPPO("MlpPolicy", _parity_env(n_envs=2), **kwargs)
    assert type(model.policy.max_steps) is int and model.policy.max_steps == 3
    model.learn(64)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "model.zip"
    PonderPPO("MlpPolicy", _parity_env(n_envs=1), seed=0, **SMALL).save(path)
    return path


def _rewrite(good: Path, bad: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Copy the zip ``good`` to ``bad``, each member through ``change`` (None drops it)."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info, data)


_DAMAGE: dict[str, Callable[[Path, Path], None]] = {
    "truncated": lambda good, bad: bad.write_bytes(good.read_bytes()[:100]),
    "truncated_end": lambda good, bad: bad.write_bytes(good.read_bytes()[:-200]),
    "random_bytes": lambda good, bad: bad.write_bytes(np.random.default_rng(0).bytes(4096)),
    "no_policy": lambda good, bad: _rewrite(
        good, bad, lambda n, b: None if n == "policy.pth" else b
    ),
    "bad_data": lambda good, bad: _rewrite(good, bad, lambda n, b: b"{oops" if n == "data" else b),
    "plain_ppo": lambda good, bad: PPO(
        "MlpPolicy", _parity_env(n_envs=1), n_steps=8, device="cpu"
    ).save(bad),  # fmt: skip
}


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("truncated", "not a readable SB3 model file .*BadZipFile"),
        ("truncated_end", "damaged or truncated: it has no model data"),
        ("random_bytes", "not a readable SB3 model file"),
        ("no_policy", r"damaged or truncated: it lacks policy\.pth"),
        ("bad_data", "not a readable SB3 model file .*JSONDecodeError"),
        ("plain_ppo", "saved by another algorithm .*ActorCriticPolicy.*not by PonderPPO"),
    ],
)
def test_load_of_a_bad_file_says_what_is_wrong(
    damage: str, match: str, saved_model: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    _DAMAGE[damage](saved_model, bad)
    with pytest.raises(CheckpointError, match=match) as info:
        PonderPPO.load(bad, device="cpu")
    assert str(bad) in str(info.value)


def _resave(name: str, change: Callable[[dict], None]) -> Callable[[str, bytes], bytes]:
    """A ``_rewrite`` member change: the state dict ``name`` loaded, changed, saved again."""

    def member(filename: str, data: bytes) -> bytes:
        if filename != name:
            return data
        state = torch.load(io.BytesIO(data), weights_only=True)
        change(state)
        out = io.BytesIO()
        torch.save(state, out)
        return out.getvalue()

    return member


def _wrong_shape(state: dict) -> None:
    key = next(k for k in state if k.endswith("weight"))
    state[key] = torch.zeros(3, 3)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_resave("policy.pth", _wrong_shape), "(?s)do not fit .*size mismatch"),
        (_resave("policy.pth", lambda s: s.pop(next(iter(s)))), "(?s)do not fit .*Missing key"),
        (_resave("policy.pth", lambda s: s.update(extra=torch.zeros(1))), "(?s)do not fit .*extra"),
        (
            _resave("policy.optimizer.pth", lambda s: s["param_groups"][0]["params"].pop()),
            "(?s)do not fit .*parameter group",
        ),
    ],
)
def test_load_of_tampered_weights_says_they_do_not_fit(
    change: Callable[[str, bytes], bytes], match: str, saved_model: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "tampered.zip"
    _rewrite(saved_model, bad, change)
    with pytest.raises(CheckpointError, match=match):
        PonderPPO.load(bad, device="cpu")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lambda_p": 1.5}, "lambda_p must be in"),
        ({"ponder_beta": float("nan")}, "beta must be finite"),
        ({"n_epochs": 0}, "n_epochs must be >= 1"),
    ],
)
def test_load_overrides_are_checked(kwargs: dict, match: str, saved_model: Path) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        PonderPPO.load(saved_model, device="cpu", **kwargs)
    assert PonderPPO.load(saved_model, device="cpu", lambda_p=0.3).lambda_p == 0.3


def test_load_of_a_missing_file_names_it(saved_model: Path, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no saved model at \S*nope or \S*nope\.zip$"):
        PonderPPO.load(tmp_path / "nope", device="cpu")
    with pytest.raises(CheckpointError, match=r"no saved model at \S*nope\.zip$"):
        PonderPPO.load(str(tmp_path / "nope.zip"), device="cpu")
    for path in (saved_model, saved_model.with_suffix(""), str(saved_model.with_suffix(""))):
        assert isinstance(PonderPPO.load(path, device="cpu").policy, PonderActorCriticPolicy)
    with saved_model.open("rb") as file:  # file objects pass through, as in SB3
        assert PonderPPO.load(file, device="cpu").lambda_p == 0.25


def test_plain_policy_class_is_rejected() -> None:
    from stable_baselines3.common.policies import ActorCriticPolicy

    with pytest.raises(InvalidConfigError, match="PonderNet policy"):
        PonderPPO(ActorCriticPolicy, _parity_env(), device="cpu")


def test_aisam_train_ponder_ppo(tmp_path: Path) -> None:
    from aisam_agents.cli import main

    code = main(["train", "--env", "aisam/Parity-v0", "--env-kwargs", "n_bits=3",
                 "--algo", "ponder_ppo", "--algo-kwargs", "n_steps=32", "batch_size=32",
                 "n_epochs=1", "--steps", "64", "--n-envs", "2", "--eval-freq", "0",
                 "--out", str(tmp_path), "--device", "cpu", "--no-progress"])  # fmt: skip
    assert code == 0
    (path,) = list(tmp_path.rglob("*.zip"))
    model = PonderPPO.load(path, device="cpu")
    assert isinstance(model.policy, PonderActorCriticPolicy)
    assert model.num_timesteps >= 64


def test_plain_ppo_is_unaffected() -> None:
    # the aliases are PonderPPO's own: SB3's PPO keeps its MLP policy.
    assert PPO.policy_aliases["MlpPolicy"] is not PonderActorCriticPolicy
