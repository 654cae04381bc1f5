"""``aisam train``: algorithms by name, bonuses, outputs, summary, bad input."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from aisam_agents import train as train_mod
from aisam_agents.cli import main
from aisam_agents.cli_options import from_args
from aisam_agents.errors import InvalidConfigError

TINY = ["--steps", "256", "--n-envs", "2", "--eval-freq", "128", "--eval-episodes", "1"]
PPO_TINY = ["--algo-kwargs", "n_steps=64", "batch_size=64", "n_epochs=1"]


def _run(tmp_path: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "run"
    return main(["train", *TINY, "--no-progress", "--out", str(out), *args]), out


def test_default_run_trains_evaluates_saves_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, *PPO_TINY)
    assert code == 0
    text = capsys.readouterr().out
    assert "ppo on aisam/TransitionTable-v0" in text and "bonus=satiation" in text
    assert "states discovered:" in text and str(out / "model.zip") in text
    assert (out / "model.zip").is_file()
    assert any((out / "tb").rglob("events.out.tfevents.*"))
    evals = np.load(out / "eval" / "evaluations.npz")
    assert len(evals["timesteps"]) >= 1


def test_no_arguments_means_the_built_in_job() -> None:
    parser = argparse.ArgumentParser()
    train_mod.add_arguments(parser)
    config = from_args(train_mod.TrainConfig, parser.parse_args([])).resolved()
    assert config.env_id == "aisam/TransitionTable-v0"
    assert config.env_kwargs == {"n_states": 10, "n_actions": 3, "kind": "lock"}
    assert config.algo == "ppo" and config.bonus == "satiation" and config.progress_bar
    assert config.algo_kwargs == train_mod.DEFAULT_ALGO_KWARGS["ppo"]


@pytest.mark.parametrize(
    "args",
    [
        ["--bonus", "prediction-error", "--bonus-kwargs", '{"model_config": {"hidden": 16}}'],
        ["--bonus", "entropy", "--bonus-coef", "0.5", *PPO_TINY],
        ["--bonus", "satiation", "--bonus-kwargs", "curve=exponential", "half_life=3", *PPO_TINY],
        ["--algo", "A2C", "--bonus", "none"],
        ["--algo", "dqn", "--algo-kwargs", '{"learning_starts": 32}'],
        ["--algo", "QRDQN", "--algo-kwargs", "learning_starts=32"],
        ["--algo", "RecurrentPPO", "--steps", "64", "--algo-kwargs", "n_steps=32", "n_epochs=1"],
        ["--algo", "ponder_ppo", *PPO_TINY],
    ],
    ids=["rnd", "entropy", "satiation-exp", "a2c", "dqn", "qrdqn", "recurrent", "ponder"],
)
def test_algorithms_and_bonuses_train(tmp_path: Path, args: list[str]) -> None:
    code, out = _run(tmp_path, *args)
    assert code == 0 and (out / "model.zip").is_file()


def test_env_kwargs_reach_the_env_and_the_progress_bar_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = [
        "train",
        *TINY,
        *PPO_TINY,
        "--out",
        str(out),
        "--env-kwargs",
        "n_states=7",
        "kind=clusters",
    ]
    assert main(args) == 0
    assert "n_states=7 kind=clusters" in capsys.readouterr().out


def test_algorithm_names_resolve_case_insensitively() -> None:
    from sb3_contrib import RecurrentPPO
    from stable_baselines3 import PPO

    assert train_mod.resolve_algorithm("PpO") is PPO
    assert train_mod.resolve_algorithm("recurrentppo") is RecurrentPPO
    assert train_mod.resolve_algorithm("ponder_ppo").__name__ == "PonderPPO"
    names = train_mod.available_algorithms()
    assert {"ppo", "a2c", "dqn", "sac", "td3", "ddpg", "trpo", "maskableppo", "ponder_ppo"} <= set(
        names
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--algo", "nope"], "choose one of"),
        (["--env", "aisam/Nope-v0"], "unknown env"),
        (["--env-kwargs", "n_states"], "key=value"),
        (["--env-kwargs", "{bad json"], "JSON"),
        (["--steps", "0"], "--steps must be >= 1"),
        (["--n-envs", "-1"], "--n-envs must be >= 1"),
        (["--bonus-coef", "nan"], "--bonus-coef must be finite"),
        (["--env-kwargs", "kind=maze"], "maze"),
        (["--bonus-kwargs", "wobble=1"], "bad --bonus-kwargs"),
        (["--algo-kwargs", "wobble=1"], "--algo-kwargs"),
        (["--algo-kwargs", "n_steps=0"], "n_steps"),
        (["--algo", "sac"], "action spaces"),
        (["--policy", "CnnPolicy"], "Box"),
        (["--policy", "MultiInputPolicy"], "Dict spaces only"),
        (["--device", "bogus"], "bad --device"),
        (["--eval-episodes", "0"], "--eval-episodes must be >= 1"),
        (["--bonus", "none", "--bonus-kwargs", "wobble=1"], "--bonus none"),
        (["--bonus", "prediction-error", "--bonus-kwargs", "model_config=5"], "JSON object"),
        (["--bonus", "prediction-error", "--bonus-kwargs", '{"model_config": {"x": 1}}'], "x"),
    ],
)
def test_bad_settings_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _ = _run(tmp_path, *args)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    if "nope" in args:
        assert "ppo" in err and "ponder_ppo" in err


def test_an_out_path_that_is_a_file_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run").write_text("not a folder")
    code, _ = _run(tmp_path)
    assert code == 2
    assert "not a folder" in capsys.readouterr().err


def test_the_summary_reports_the_steps_trained_not_the_steps_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SB3 trains whole rollouts: 100 asked with 2 envs x 64 steps per rollout is 128
    code, _ = _run(tmp_path, *PPO_TINY, "--steps", "100", "--eval-freq", "0")
    assert code == 0
    text = capsys.readouterr().out
    assert "  128 steps in" in text and "asked for 100" in text


def test_the_config_checks_its_fields_by_name_and_fills_presets_per_env() -> None:
    with pytest.raises(InvalidConfigError, match="total_steps must be >= 1"):
        train_mod.TrainConfig(total_steps=0)
    with pytest.raises(InvalidConfigError, match="bad device"):
        train_mod.TrainConfig(device="bogus")
    assert train_mod.TrainConfig(env_id="CartPole-v1").resolved().env_kwargs == {}
    assert train_mod.TrainConfig(algo="a2c").resolved().algo_kwargs == {}


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, default in [
        ("--env", "aisam/TransitionTable-v0"),
        ("--steps", "30000"),
        ("--n-envs", "8"),
        ("--algo", "ppo"),
        ("--bonus", "satiation"),
        ("--bonus-coef", "0.1"),
        ("--eval-freq", "5000"),
    ]:
        assert flag in text
        assert f"(default: {default}" in text
    assert text.count("(default:") == len(train_mod.TrainConfig.__dataclass_fields__)


AGENT_MODULE = '''
from stable_baselines3 import PPO


class Delegating:
    """Not an SB3 class, but of SB3's shape: it hands everything to a PPO."""

    def __init__(self, policy, env, seed=None, n_steps=64):
        self.inner = PPO(policy, env, seed=seed, n_steps=n_steps, batch_size=64, n_epochs=1)

    @property
    def num_timesteps(self):
        return self.inner.num_timesteps

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        self.inner.learn(total_timesteps, callback=callback, progress_bar=progress_bar)
        return self

    def predict(self, *args, **kwargs):
        return self.inner.predict(*args, **kwargs)

    def save(self, path):
        self.inner.save(path)

    @classmethod
    def load(cls, path, env=None):
        agent = cls.__new__(cls)
        agent.inner = PPO.load(path, env=env)
        return agent


class NoLearn:
    def __init__(self, policy, env):
        pass

    predict = save = load = __init__


class OddLearn(Delegating):
    def learn(self, steps, callbacks=None):
        return self
'''


@pytest.fixture
def agent_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "my_agents.py").write_text(AGENT_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_agents"


def test_any_class_of_sb3_shape_trains_by_module_and_class(
    tmp_path: Path, agent_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, "--algo", f"{agent_module}:Delegating", "--algo-kwargs")
    assert code == 0, capsys.readouterr().err
    assert (out / "model.zip").is_file()
    assert "Delegating takes no device=, tensorboard_log=: not passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{}:NoLearn", "has no learn"),
        ("{}:OddLearn", "learn(total_timesteps, callback="),
        ("{}:AGENT_NOPE", "cannot import"),
        ("no_such_module_x:Agent", "cannot import"),
        ("collections:deque", "has no learn"),
        ("math:pi", "is not a class"),
    ],
)
def test_a_class_without_sb3_shape_is_refused_by_name(
    agent_module: str, target: str, message: str
) -> None:
    name = target.format(agent_module)
    with pytest.raises(InvalidConfigError, match=rf"--algo {name}.*{message.replace('(', '.')}"):
        train_mod.resolve_algorithm(name)
