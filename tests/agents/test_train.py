"""``aisam train``: algorithms by name, bonuses, outputs, summary, bad input."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from aisam_agents import algorithms, presets
from aisam_agents import train as train_mod
from aisam_agents.cli import main
from aisam_agents.cli_options import from_args
from aisam_envs.errors import InvalidConfigError

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
    assert "ppo (MlpPolicy) on aisam/TransitionTable-v0" in text
    assert "preset table, bonus=satiation" in text
    assert re.search(r"discovered: \d+ states", text) and f"run folder: {out}" in text
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

    assert algorithms.resolve_algorithm("PpO") is PPO
    assert algorithms.resolve_algorithm("recurrentppo") is RecurrentPPO
    assert algorithms.resolve_algorithm("ponder_ppo").__name__ == "PonderPPO"
    names = algorithms.available_algorithms()
    assert {"ppo", "a2c", "dqn", "sac", "td3", "ddpg", "trpo", "maskableppo", "ponder_ppo"} <= set(
        names
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--algo", "nope"], "choose one of"),
        (["--env", "aisam/TransitionTabel-v0"], "did you mean 'aisam/TransitionTable-v0'"),
        (["--env-kwargs", "n_states"], "key=value"),
        (["--env-kwargs", "{bad json"], "JSON"),
        (["--steps", "0"], "--steps must be >= 1"),
        (["--n-envs", "-1"], "--n-envs must be >= 1"),
        (["--bonus-coef", "nan"], "--bonus-coef must be finite"),
        (["--env-kwargs", "kind=maze"], "maze"),
        (
            ["--bonus-kwargs", "wobble=1"],
            "bad --bonus settings: unknown setting(s) ['wobble'] for bonus 'satiation'",
        ),
        (["--algo-kwargs", "wobble=1"], "--algo-kwargs"),
        (["--algo-kwargs", "n_steps=0"], "n_steps"),
        (["--algo", "sac"], "action spaces"),
        (["--policy", "CnnPolicy"], "Box"),
        (["--policy", "MultiInputPolicy"], "Dict spaces only"),
        (["--device", "bogus"], "--device: device must be 'auto', 'cpu' or 'cuda[:i]'"),
        (["--eval-episodes", "0"], "--eval-episodes must be >= 1"),
        (["--bonus", "none", "--bonus-kwargs", "wobble=1"], "for bonus 'none'; it takes []"),
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


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_where_there_is_none_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, "--device", "cuda")
    assert code == 2 and "CUDA is not available" in capsys.readouterr().err
    assert not out.exists()


def test_an_out_path_that_is_a_file_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run").write_text("not a folder")
    code, _ = _run(tmp_path)
    assert code == 2
    assert "not a folder" in capsys.readouterr().err


def test_the_run_rounds_up_to_whole_rollouts_says_so_first_and_trains_exactly_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SB3 trains whole rollouts: 100 asked with 2 envs x 64 steps per rollout is 128
    code, out = _run(tmp_path, *PPO_TINY, "--steps", "100", "--eval-freq", "0")
    assert code == 0
    text = capsys.readouterr().out
    note = "aisam train: rounding 100 steps up to 128: 2 envs x n_steps 64"
    assert note in text and text.index(note) < text.index("  128 steps in")
    assert "asked for 100" in text
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["steps"], summary["steps_asked"]) == (128, 100)


def test_off_policy_budgets_round_to_the_training_frequency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--algo", "dqn", "--steps", "250", "--algo-kwargs", "learning_starts=32"]
    code, out = _run(tmp_path, *args)
    assert code == 0
    assert "rounding 250 steps up to 256: 2 envs x train_freq 4" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["steps"] == 256


def test_exact_budgets_train_exactly_and_say_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, *PPO_TINY, "--steps", "256")
    text = capsys.readouterr().out
    assert code == 0 and "rounding" not in text and "asked for" not in text
    assert "  256 steps in" in text


def test_evaluations_default_to_ten_per_run(tmp_path: Path) -> None:
    args = ["--steps", "1280", "--n-envs", "2", "--eval-episodes", "1"]
    out = tmp_path / "run"
    assert main(["train", *args, *PPO_TINY, "--no-progress", "--out", str(out)]) == 0
    evals = np.load(out / "eval" / "evaluations.npz")
    np.testing.assert_array_equal(evals["timesteps"], np.arange(1, 11) * 128)
    assert json.loads((out / "config.json").read_text())["eval_freq"] == 128


@pytest.mark.parametrize(
    ("eval_freq", "why"),
    [("0", "evaluation: none (--eval-freq 0)"), ("1000", "is more than the run's 256 steps")],
)
def test_no_evaluation_is_said_with_its_reason_never_as_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], eval_freq: str, why: str
) -> None:
    code, out = _run(tmp_path, *PPO_TINY, "--eval-freq", eval_freq)
    text = capsys.readouterr().out
    assert code == 0 and why in text and "nan" not in text.lower()
    assert not (out / "eval").exists()
    assert json.loads((out / "summary.json").read_text())["eval_reward"] is None


def test_a_run_that_finishes_no_episode_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(
        tmp_path, *PPO_TINY, "--steps", "64", "--eval-freq", "0", "--env-kwargs",
        "n_states=50", "max_episode_steps=500",
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "episodes: none finished in 128 steps" in text
    assert "nan" not in text.lower()


def test_each_run_gets_a_fresh_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", *TINY, *PPO_TINY, "--no-progress"]) == 0
    runs = sorted((tmp_path / "runs" / "train").iterdir())
    assert len(runs) == 2
    assert all(r.name.startswith("aisam_TransitionTable-v0-ppo-") for r in runs)
    for run in runs:
        names = {p.name for p in run.iterdir()}
        assert names == set(train_mod.RUN_FILES)  # config, summary, model, metrics, tb, ...
        assert len(list((run / "tb").iterdir())) == 1


def test_a_folder_holding_a_run_is_refused_unless_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, *PPO_TINY)
    assert code == 0
    (out / "best" / "stale.zip").write_text("from the first run")
    code, _ = _run(tmp_path, *PPO_TINY)
    assert code == 2
    err = capsys.readouterr().err
    assert f"--out {out} holds another run" in err and "pass --overwrite" in err
    code, _ = _run(tmp_path, *PPO_TINY, "--overwrite")
    assert code == 0
    assert not (out / "best" / "stale.zip").exists()
    assert [p.name for p in (out / "tb").iterdir()] == ["PPO_1"]  # not PPO_2 beside PPO_1


def test_the_run_folder_holds_its_config_and_summary(tmp_path: Path) -> None:
    code, out = _run(tmp_path, *PPO_TINY, "--seed", "3")
    assert code == 0
    config = train_mod.TrainConfig(**json.loads((out / "config.json").read_text()))
    assert config.seed == 3 and config.out == str(out) and config.eval_freq == 128
    assert config.algo_kwargs == {"n_steps": 64, "batch_size": 64, "n_epochs": 1}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"] == json.loads((out / "config.json").read_text())
    assert summary["metrics"]["states_discovered"] == summary["states_discovered"] > 0
    assert len(summary["evaluations"]["timesteps"]) == 2
    rows = (out / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("steps,seconds,steps_per_second,episodes")
    assert rows[-1].startswith("256,")


def test_the_config_checks_its_fields_by_name_and_fills_presets_per_env() -> None:
    with pytest.raises(InvalidConfigError, match="total_steps must be >= 1"):
        train_mod.TrainConfig(total_steps=0)
    with pytest.raises(InvalidConfigError, match="device: device must be"):
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
        ("--algo", "auto"),
        ("--bonus", "satiation"),
        ("--bonus-coef", "0.1"),
        ("--eval-freq", "the preset's: 10 evaluations per run, none for Atari"),
        ("--out", "runs/train/<env>-<algo>-<time>"),
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
        algorithms.resolve_algorithm(name)


def test_presets_are_found_by_env_id_and_explicit_options_win() -> None:
    def resolved(**kwargs: Any) -> train_mod.TrainConfig:
        return train_mod.TrainConfig(out="x", **kwargs).resolved()

    for env_id, name in [
        ("aisam/TransitionTable-v0", "table"),
        ("aisam/Montezuma-Reduced-v0", "montezuma"),
        ("aisam/Montezuma-ReducedNoFrameskip-v0", "atari"),
        ("ALE/Pong-v5", "atari"),
        ("PongNoFrameskip-v4", "atari"),
        ("aisam/PokemonRed-v0", "pokemon"),
        ("aisam/TextWorld-v0", "textworld"),
        ("CartPole-v1", "none"),
    ]:
        assert presets.find_preset("auto", env_id)[0] == name
    montezuma = resolved(env_id="aisam/Montezuma-Reduced-v0")
    assert (montezuma.preset, montezuma.vec_env, montezuma.env_kwargs) == (
        "montezuma",
        "native",
        {},
    )
    atari = resolved(env_id="ALE/Pong-v5")
    assert (atari.preset, atari.vec_env, atari.env_kwargs) == ("atari", "subproc", {})
    assert atari.algo == "ppo" and atari.algo_kwargs == train_mod.DEFAULT_ALGO_KWARGS["ppo"]
    assert atari.eval_episodes == 1 and resolved().eval_episodes == 5
    text = resolved(env_id="aisam/TextWorld-v0")
    assert (text.algo, text.algo_kwargs) == ("maskableppo", {})
    assert text.env_kwargs == {"action_mode": "index", "obs_type": "tokens"}
    assert resolved(env_id="aisam/TextWorld-v0", algo="a2c").algo == "a2c"
    assert resolved(env_id="aisam/Montezuma-Reduced-v0", vec_env="dummy").vec_env == "dummy"
    assert resolved(preset="none").env_kwargs == {}  # the table as registered
    assert resolved(env_kwargs={"n_states": 5}).env_kwargs == {"n_states": 5}
    with pytest.raises(InvalidConfigError, match="preset must be one of"):
        train_mod.TrainConfig(preset="nope")


def test_help_lists_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "presets (--preset auto picks one by --env" in text
    for name, preset in presets.PRESETS.items():
        assert f"  {name:8} {', '.join(preset.ids)}" in text


@pytest.mark.parametrize("vec_env", ["native", "dummy"])
def test_montezuma_trains_with_its_preset_and_logs_score_and_rooms(
    vec_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its own vector env by default (worker processes); ``dummy``: AtariWrapper in-process."""
    pytest.importorskip("ale_py")
    out = tmp_path / "run"
    vec_args = [] if vec_env == "native" else ["--vec-env", vec_env]
    code = main(
        ["train", "--steps", "256", "--n-envs", "2", *PPO_TINY, "--no-progress", "--out",
         str(out), "--env", "aisam/Montezuma-Reduced-v0", *vec_args, "--bonus", "none"]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert (
        "evaluation: none (the montezuma preset evaluates only when --eval-freq is given)" in text
    )
    assert "ppo (CnnPolicy) on aisam/Montezuma-Reduced-v0, preset montezuma" in text
    assert "discovered: 1 rooms" in text
    config = json.loads((out / "config.json").read_text())
    assert (config["policy"], config["preset"], config["vec_env"]) == (
        "CnnPolicy", "montezuma", vec_env
    )  # fmt: skip
    from stable_baselines3 import PPO

    model = PPO.load(out / "model.zip", device="cpu")
    assert model.observation_space.shape == (4, 84, 84)  # 4 stacked 84x84 grey frames
    rows = (out / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert rows[-1].split(",")[header.index("rooms_total")] == "1"


def test_native_vec_env_steps_the_envs_own_vector_env_or_says_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(tmp_path, *PPO_TINY, "--vec-env", "native")
    assert code == 0, capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["states_discovered"] > 1
    for env_id, message in [
        ("aisam/Parity-v0", "has no vector env of its own"),
        ("aisam/Montezuma-ReducedNoFrameskip-v0", "clipped reward"),
    ]:
        args = ["train", "--env", env_id, "--vec-env", "native", "--out", str(tmp_path / "x")]
        assert main([*args, "--no-progress"]) != 0
        assert message in capsys.readouterr().err


def test_worker_processes_train_the_same_as_one_process(tmp_path: Path) -> None:
    summaries = []
    for vec_env in ("dummy", "subproc"):
        out = tmp_path / vec_env
        args = ["train", *TINY, *PPO_TINY, "--no-progress", "--vec-env", vec_env]
        assert main([*args, "--out", str(out)]) == 0
        summaries.append(json.loads((out / "summary.json").read_text()))
    for key in ("states_discovered", "episodes", "eval_reward"):
        assert summaries[0][key] == summaries[1][key]
    assert summaries[1]["config"]["vec_env"] == "subproc"


def test_textworld_trains_maskable_ppo_on_tokens_with_masks_in_evaluation_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("textworld")
    monkeypatch.setenv("AISAM_CACHE_DIR", str(tmp_path / "cache"))  # not the user's cache
    code, out = _run(tmp_path, *PPO_TINY, "--env", "aisam/TextWorld-v0", "--vec-env", "dummy")
    text = capsys.readouterr().out
    assert code == 0, text
    assert "maskableppo (MlpPolicy) on aisam/TextWorld-v0 action_mode=index obs_type=tokens" in text
    assert "last evaluation: mean extrinsic return" in text
    from sb3_contrib import MaskablePPO

    assert MaskablePPO.load(out / "model.zip", device="cpu").observation_space.shape == (256,)


def test_atari_presets_give_a_learned_bonus_model_rnds_settings() -> None:
    def settings(env_id: str, bonus: str, **kwargs: Any) -> dict[str, Any]:
        config = train_mod.TrainConfig(out="x", env_id=env_id, bonus=bonus, bonus_kwargs=kwargs)
        return config.resolved().bonus_kwargs

    rnd = {"model_config": presets.RND_ATARI}
    assert presets.RND_ATARI["image_channels"] == 1  # the newest frame, as in the paper
    assert settings("aisam/Montezuma-Reduced-v0", "prediction-error") == rnd
    assert settings("ALE/Pong-v5", "entropy", model="forward") == {"model": "forward", **rnd}
    assert settings("ALE/Pong-v5", "entropy") == {}  # the count model has no model_config
    assert settings("ALE/Pong-v5", "prediction-error", model="count") == {"model": "count"}
    assert settings("ALE/Pong-v5", "satiation") == {}
    assert settings("aisam/TransitionTable-v0", "prediction-error") == {}  # no preset settings
    own = {"model_config": {"hidden": 8}}
    assert settings("ALE/Pong-v5", "prediction-error", **own) == own  # explicit settings win


def test_atari_presets_give_intrinsic_ppo_rnds_ppo_settings() -> None:
    def kwargs(env_id: str, algo: str, **settings: Any) -> dict[str, Any] | None:
        config = train_mod.TrainConfig(out="x", env_id=env_id, algo=algo, **settings)
        return config.resolved().algo_kwargs

    rnd = kwargs("aisam/Montezuma-Reduced-v0", "intrinsic_ppo", n_envs=16)
    assert rnd == {**presets.RND_PPO, "batch_size": 512, "warmup_rollouts": 50}
    assert kwargs("ALE/Pong-v5", "INTRINSIC_PPO")["batch_size"] == 256  # 8 envs x 128 / 4
    assert kwargs("ALE/Pong-v5", "ppo") == train_mod.DEFAULT_ALGO_KWARGS["ppo"]
    assert kwargs("aisam/TransitionTable-v0", "intrinsic_ppo") == {}
    assert kwargs("ALE/Pong-v5", "intrinsic_ppo", algo_kwargs={"n_steps": 64}) == {"n_steps": 64}


def test_grey_frames_get_a_channel_axis_for_cnn_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ale_py")
    code, out = _run(
        tmp_path, *PPO_TINY, "--steps", "128", "--env", "aisam/Montezuma-Reduced-v0",
        "--preset", "none", "--env-kwargs", "obs_type=grayscale", "--policy", "CnnPolicy",
        "--eval-freq", "0", "--bonus", "none",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    from stable_baselines3 import PPO

    model = PPO.load(out / "model.zip", device="cpu")
    assert model.observation_space.shape == (1, 210, 160)  # (H, W) + channel, transposed


def test_intrinsic_ppo_takes_the_bonus_in_split_mode(tmp_path: Path) -> None:
    from aisam_agents import IntrinsicPPO

    code, out = _run(tmp_path, "--algo", "intrinsic_ppo", "--bonus", "prediction-error", *PPO_TINY)
    assert code == 0
    assert json.loads((out / "config.json").read_text())["bonus_coef"] == 1.0  # its default
    assert IntrinsicPPO.two_reward_streams


def test_intrinsic_ppo_without_a_bonus_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(tmp_path, "--algo", "intrinsic_ppo", "--bonus", "none", *PPO_TINY)
    assert code == 2 and "needs an intrinsic reward" in capsys.readouterr().err
