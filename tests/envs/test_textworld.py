"""Tests of ``aisam/TextWorld-v0``: walkthroughs win, API, modes, determinism, cache, SB3."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("textworld")

import aisam_envs  # noqa: E402,F401  (registers the ids)
from aisam_envs.errors import (  # noqa: E402
    InvalidActionError,
    InvalidConfigError,
    ResetNeededError,
)
from aisam_envs.textworld import GameSpec, TokenEncoder, game_path, games  # noqa: E402
from aisam_envs.textworld.env import REFUSAL  # noqa: E402

ENV_ID = "aisam/TextWorld-v0"
# TextWorld silences this Jericho warning for its own games at import; pytest re-enables it.
pytestmark = pytest.mark.filterwarnings("ignore:.*is not fully supported:UserWarning")

# Small games: generation dominates these tests' time, so each is made once per session.
GAMES: dict[str, dict[str, Any]] = {
    "custom-a": {"world_size": 3, "nb_objects": 5, "quest_length": 2, "game_seed": 1},
    "custom-b": {"world_size": 4, "nb_objects": 8, "quest_length": 4, "game_seed": 7},
    "tw-simple": {"challenge": "tw-simple", "challenge_settings": {"rewards": "dense"}},
    "tw-cooking": {"challenge": "tw-cooking", "challenge_settings": {"recipe": 1, "take": 1}},
    "tw-coin_collector": {"challenge": "tw-coin_collector", "challenge_settings": {"level": 2}},
    "tw-treasure_hunter": {"challenge": "tw-treasure_hunter", "challenge_settings": {"level": 2}},
}
SMALL = GAMES["custom-a"]


def make(game: dict[str, Any] = SMALL, **kwargs: Any) -> gym.Env:
    return gym.make(ENV_ID, **game, **kwargs)


def play(env: gym.Env, commands: list[Any]) -> tuple[float, list[tuple]]:
    total, steps = 0.0, []
    for command in commands:
        step = env.step(command)
        total += step[1]
        steps.append(step)
    return total, steps


@pytest.mark.parametrize("name", sorted(GAMES))
def test_walkthrough_reaches_max_score_and_wins(name: str, aisam_cache_dir: Path) -> None:
    env = make(GAMES[name])
    obs, info = env.reset(seed=0)
    assert Path(env.unwrapped.game_file).is_relative_to(aisam_cache_dir)
    assert isinstance(obs, str) and obs in env.observation_space
    assert info["max_score"] > 0 and info["score"] == 0 and info["walkthrough"]
    total, steps = play(env, info["walkthrough"])
    *middle, (obs, _, terminated, truncated, last) = steps
    assert not any(s[2] or s[3] for s in middle)
    assert terminated and not truncated
    assert last["won"] and not last["lost"]
    assert last["score"] == last["max_score"] == total
    with pytest.raises(ResetNeededError):
        env.step("look")
    env.close()


def test_walkthrough_in_index_mode() -> None:
    env = make(GAMES["custom-b"], action_mode="index", max_actions=32)
    assert env.action_space == gym.spaces.Discrete(32)
    _, info = env.reset(seed=0)
    total = 0.0
    for command in info["walkthrough"]:
        mask = info["action_mask"]
        assert mask.shape == (32,) and mask.sum() == len(info["admissible_commands"])
        np.testing.assert_array_equal(env.unwrapped.action_masks(), mask)
        _, reward, terminated, _, info = env.step(info["admissible_commands"].index(command))
        total += reward
    assert terminated and info["won"] and total == info["max_score"]


def test_info_keys_and_reward_is_score_increase() -> None:
    env = make()
    _, info = env.reset(seed=0)
    assert set(info) == {
        "description", "inventory", "admissible_commands", "score", "max_score",
        "moves", "won", "lost", "walkthrough",
    }  # fmt: skip
    assert "-=" in info["description"] and "carrying" in info["inventory"]
    assert info["admissible_commands"] == sorted(info["admissible_commands"])
    _, reward, _, _, after = env.step("look")
    assert reward == 0.0 and after["moves"] == 1 and after["score"] == 0


def test_text_mode_any_command_gets_the_games_reply(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # "save" must not write a save file here
    env = make()
    env.reset(seed=0)
    for command in [
        "xyzzy",
        "",
        "héllo wörld ✓",
        "look\nlook",
        "x" * 500,
        "save",
        "Restart",
        "look. q",
        "look then SAVE",
    ]:
        obs, reward, terminated, truncated, info = env.step(command)
        assert isinstance(obs, str) and obs and obs in env.observation_space
        assert (reward, terminated, truncated) == (0.0, False, False)
    assert "not a verb I recognise" in env.step("xyzzy")[0]
    assert env.step("save")[0] == REFUSAL
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidActionError, match="command string"):
        env.step(3)
    total, steps = play(env, info["walkthrough"])  # refusals kept TextWorld's tracking in sync
    assert total == info["max_score"] and steps[-1][4]["won"]


def test_backslashes_never_reach_the_interpreter() -> None:
    """dumb-frotz reads ``\\`` as its own escape: ``\\help`` printed its help in an endless
    loop, and random commands with a backslash crashed the process in ``jericho.step``
    (``check_env``'s random actions did, in 2 of 4 full test runs)."""
    script = f"""
import gymnasium as gym, aisam_envs
env = gym.make({ENV_ID!r}, **{SMALL!r}, render_mode="ansi")
env.reset(seed=0)
space = env.unwrapped.action_space
space.seed(3)
commands = ["\\\\help", "look \\\\x", "\\\\s", "\\\\"] + [space.sample() for _ in range(200)]
for command in commands:
    if env.step(command)[2]:
        env.reset()
    played = env.render().splitlines()[0]  # "> command", or the reply to an empty one
    assert "\\\\" not in played, played
print("played", len(commands), file=sys.stderr)
"""
    done = subprocess.run(  # stdout dropped: \help made the old code print its help forever
        [sys.executable, "-c", "import sys" + script],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.split()[-2:] == ["played", "204"]


@pytest.mark.parametrize("obs_type", ["text", "tokens"])
def test_index_past_the_list_is_a_spent_turn(obs_type: str) -> None:
    env = make(action_mode="index", max_actions=16, obs_type=obs_type, max_episode_steps=3)
    obs, info = env.reset(seed=0)
    n = len(info["admissible_commands"])
    assert info["action_mask"].tolist() == [True] * n + [False] * (16 - n)
    for action in (n, np.int64(15)):  # every index of Discrete(16) is a valid step
        step_obs, reward, terminated, truncated, step_info = env.step(action)
        np.testing.assert_array_equal(np.asarray(step_obs), np.asarray(obs))
        assert (reward, terminated, truncated) == (0.0, False, False)
        assert step_info["invalid_action"] is True
        assert step_info["moves"] == info["moves"] == 0  # no game step was played
        assert step_info["admissible_commands"] == info["admissible_commands"]
        np.testing.assert_array_equal(step_info["action_mask"], info["action_mask"])
    step = env.step(0)
    assert step[4]["invalid_action"] is False and step[4]["moves"] == 1
    assert step[3]  # the two spent turns counted toward the step limit of 3


def test_spent_turn_penalty_and_the_strict_option() -> None:
    env = make(action_mode="index", max_actions=16, invalid_action_penalty=0.5)
    _, info = env.reset(seed=0)
    n = len(info["admissible_commands"])
    assert env.step(n)[1] == -0.5
    strict = make(action_mode="index", max_actions=16, invalid_action="error")
    strict.reset(seed=0)
    with pytest.raises(InvalidActionError, match="admissible commands"):
        strict.step(n)
    strict.step(np.int64(0))
    for bad in ("look", 16, -1, 1.0, True):  # outside Discrete(16): an error in both modes
        with pytest.raises(InvalidActionError, match=r"\[0, 16\)"):
            env.step(bad)


def test_sb3_check_env_and_plain_ppo_on_index_tokens() -> None:
    """Plain PPO samples every index of Discrete(max_actions), masked or not."""
    sb3 = pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_checker import check_env
    from stable_baselines3.common.env_util import make_vec_env

    kwargs = {**SMALL, "action_mode": "index", "obs_type": "tokens", "max_actions": 16,
              "max_tokens": 32, "vocab_size": 256, "max_episode_steps": 20}  # fmt: skip
    check_env(gym.make(ENV_ID, **kwargs), warn=False)
    vec = make_vec_env(ENV_ID, n_envs=2, seed=0, env_kwargs={**kwargs, "render_mode": None})
    model = sb3.PPO("MlpPolicy", vec, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps == 256


def test_index_mode_cuts_long_command_lists(caplog: pytest.LogCaptureFixture) -> None:
    env = make(action_mode="index", max_actions=2)
    with caplog.at_level("WARNING", logger="aisam_envs.textworld.env"):
        _, info = env.reset(seed=0)
        env.step(1)
    assert len(info["admissible_commands"]) > 2 and info["action_mask"].tolist() == [True] * 2
    assert len(caplog.records) == 1 and "raise max_actions" in caplog.text
    with pytest.raises(InvalidActionError):
        env.step(2)  # outside Discrete(2)


def test_truncated_at_the_step_limit() -> None:
    env = make(max_episode_steps=3)
    env.reset(seed=0)
    flags = [env.step("look")[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]


@pytest.mark.parametrize("action_mode", ["text", "index"])
@pytest.mark.parametrize("obs_type", ["text", "tokens"])
def test_check_env_passes(obs_type: str, action_mode: str) -> None:
    from gymnasium.utils.env_checker import check_env

    env = make(obs_type=obs_type, max_tokens=64, action_mode=action_mode)
    check_env(env.unwrapped)


@pytest.mark.parametrize("mode", ["text", "index"])
def test_same_seed_same_episode(mode: str) -> None:
    def episode(seed: int) -> list[Any]:
        env = make(GAMES["custom-b"], action_mode=mode, obs_type="tokens")
        rng = np.random.default_rng(seed)
        obs, info = env.reset(seed=seed)
        out = [obs.tolist(), info["admissible_commands"]]
        for _ in range(15):
            k = int(rng.integers(len(info["admissible_commands"])))
            action = k if mode == "index" else info["admissible_commands"][k]
            obs, reward, terminated, _, info = env.step(action)
            out += [obs.tolist(), reward, info["description"], info["admissible_commands"]]
            if terminated:
                obs, info = env.reset()
        return out

    assert episode(3) == episode(3)


def test_tokens() -> None:
    enc = TokenEncoder(max_tokens=8, vocab_size=50)
    ids = enc.encode("You see a Box. You see")
    assert ids.tolist()[:7] == [ids[0], ids[1], ids[2], ids[3], ids[4], ids[0], ids[1]]
    assert ids[7] == 0 and ids[:7].min() >= 1 and ids.max() < 50
    assert TokenEncoder(8, 50).encode("you SEE").tolist() == ids[:2].tolist() + [0] * 6
    env = make(obs_type="tokens", max_tokens=32, vocab_size=100)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (32,) and obs.dtype == np.int64 and obs in env.observation_space


def test_generated_games_are_cached_and_reused(aisam_cache_dir: Path) -> None:
    first = make().unwrapped.game_file
    stamp = os.stat(first).st_mtime_ns
    again = make().unwrapped.game_file
    assert again == first and os.stat(again).st_mtime_ns == stamp
    assert Path(first).parent.parent == aisam_cache_dir / "textworld"
    other = make({**SMALL, "game_seed": 2}).unwrapped.game_file
    assert other != first
    env = gym.make(ENV_ID, game_file=first)  # the same game, given as a file
    assert env.unwrapped.game_file == first
    assert env.reset(seed=0)[1]["walkthrough"] == make().reset(seed=0)[1]["walkthrough"]


def test_cache_dir_falls_back_to_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    platformdirs = pytest.importorskip("platformdirs")
    monkeypatch.setenv("AISAM_CACHE_DIR", "/some/where")
    assert games.cache_dir() == Path("/some/where/textworld")
    monkeypatch.delenv("AISAM_CACHE_DIR")
    assert (
        games.cache_dir()
        == Path(platformdirs.user_cache_dir("aisam", appauthor=False)) / "textworld"
    )


def _generate(args: tuple[str, dict[str, Any]]) -> str:
    directory, spec = args
    return str(game_path(GameSpec(**spec), Path(directory)))


def test_concurrent_generation_of_one_game_is_safe(tmp_path: Path) -> None:
    spec = {"world_size": 2, "nb_objects": 3, "quest_length": 1, "game_seed": 11}
    with mp.get_context("fork").Pool(3) as pool:
        paths = pool.map(_generate, [(str(tmp_path), spec)] * 3)
    assert len(set(paths)) == 1
    game = Path(paths[0])
    entries = sorted(p.name for p in (tmp_path).iterdir())
    assert entries == [game.parent.name, f"{game.parent.name}.lock"]  # no temp dirs left
    assert json.loads(game.with_suffix(".json").read_text())["metadata"]["walkthrough"]
    env = gym.make(ENV_ID, game_file=game)
    _, info = env.reset(seed=0)
    assert play(env, info["walkthrough"])[0] == info["max_score"] == 1


def test_make_vec_async() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="async", **SMALL)
    obs, infos = envs.reset(seed=0)
    assert isinstance(obs, tuple) and len(obs) == 2 and "-=" in obs[0] and obs[0] == obs[1]
    walk = list(infos["walkthrough"][0])
    obs, rewards, terminated, truncated, infos = envs.step((walk[0], "xyzzy"))
    assert obs[1] == "That's not a verb I recognise." and obs[0] != obs[1]
    obs, rewards, terminated, _, infos = envs.step((walk[1], "look"))
    assert rewards.tolist() == [1.0, 0.0] and terminated.tolist() == [True, False]
    assert infos["won"].tolist() == [True, False]
    envs.close()


def test_make_vec_async_index_tokens() -> None:
    kwargs = {**SMALL, "action_mode": "index", "obs_type": "tokens", "max_tokens": 16}
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="async", **kwargs)
    obs, infos = envs.reset(seed=0)
    assert obs.shape == (2, 16) and infos["action_mask"].shape == (2, 64)
    first = obs.copy()
    obs, *_ = envs.step(np.array([0, 1]))
    assert not np.array_equal(obs, first)
    envs.close()


def test_maskable_ppo_trains_on_index_mode() -> None:
    sb3_contrib = pytest.importorskip("sb3_contrib")
    from stable_baselines3.common.env_util import make_vec_env

    kwargs = {**SMALL, "action_mode": "index", "obs_type": "tokens", "max_actions": 16,
              "max_tokens": 32, "vocab_size": 256, "invalid_action": "error"}  # fmt: skip
    # With invalid_action="error" an index outside the mask raises InvalidActionError, so
    # training only runs to the end if MaskablePPO honours every mask it reads through
    # env.action_masks().
    vec = make_vec_env(
        ENV_ID,
        n_envs=2,
        seed=0,
        env_kwargs={**kwargs, "max_episode_steps": 20, "render_mode": None},
    )
    model = sb3_contrib.MaskablePPO(
        "MlpPolicy", vec, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu"
    )
    model.learn(total_timesteps=64)
    env = make(**{k: v for k, v in kwargs.items() if k not in SMALL})
    obs, info = env.reset(seed=0)
    action, _ = model.predict(obs, action_masks=info["action_mask"], deterministic=True)
    assert info["action_mask"][int(action)]
    env.step(int(action))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"challenge": "tw-nope"}, "unknown challenge"),
        ({"challenge": "tw-simple", "challenge_settings": {"level": 1}}, "unknown setting 'level'"),
        (
            {"challenge": "tw-cooking", "challenge_settings": {"recipes": 2}},
            r"tw-cooking got unknown setting 'recipes' \(did you mean 'recipe'\?\)",
        ),
        ({"challenge": "tw-simple", "challenge_settings": {"rewards": "lots"}}, "one of"),
        ({"challenge": "tw-cooking", "challenge_settings": {"take": 3}}, "'take'"),
        ({"challenge": "tw-coin_collector", "challenge_settings": {"level": 0}}, "level"),
        ({"challenge": "tw-simple", "world_size": 3}, "sets its own world"),
        ({"challenge_settings": {"level": 1}}, "need a challenge"),
        ({"challenge": "tw-coin_collector", "challenge_settings": {"level": True}}, "an int"),
        ({"challenge": "tw-cooking", "challenge_settings": {"go": np.float64(6)}}, "one of"),
        ({"world_size": 0}, "world_size"),
        ({"world_size": True}, "world_size must be an int"),
        ({"quest_length": 1.5}, "quest_length must be an int"),
        ({"game_seed": -1}, "game_seed"),
        ({"game_seed": np.int64(-1)}, "game_seed"),
        ({"game_seed": np.bool_(True)}, "game_seed must be an int"),
        ({"game_file": "x.z8", "world_size": 3}, "not both"),
        ({"game_file": "old.ulx"}, "Glulx"),
        ({"game_file": "missing.z8"}, "does not exist"),
        ({**SMALL, "action_mode": "words"}, "action_mode"),
        ({**SMALL, "obs_type": "pixels"}, "obs_type"),
        ({**SMALL, "max_actions": 0}, "max_actions"),
        ({**SMALL, "invalid_action": "skip"}, "invalid_action must be one of"),
        ({**SMALL, "invalid_action_penalty": -1.0}, "invalid_action_penalty must be >= 0"),
        ({**SMALL, "invalid_action_penalty": float("nan")}, "invalid_action_penalty"),
        ({**SMALL, "invalid_action_penalty": "1"}, "invalid_action_penalty"),
    ],
)
def test_bad_arguments_give_clear_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidConfigError, match=match):
        gym.make(ENV_ID, **kwargs)


def test_numpy_integers_are_accepted_as_generation_arguments() -> None:
    game = {k: np.int64(v) for k, v in SMALL.items()}
    assert make(game).unwrapped.game_file == make().unwrapped.game_file
    settings = {"recipe": np.int64(2), "take": np.uint8(1), "go": np.int32(6),
                "open": np.bool_(True), "split": np.str_("test")}  # fmt: skip
    spec = GameSpec(challenge="tw-cooking", settings=settings)
    plain = GameSpec(challenge="tw-cooking", settings={k: v.item() for k, v in settings.items()})
    assert spec == plain and spec.key("1.7") == plain.key("1.7")
    assert all(type(v) in (int, bool, str) for v in spec.settings.values() if v is not None)


def _broken_copy(directory: Path, name: str, story: bytes, description: str) -> Path:
    game = directory / f"{name}.z8"
    game.write_bytes(story)
    game.with_suffix(".json").write_text(description)
    return game


def test_broken_story_files_never_reach_jericho(tmp_path: Path) -> None:
    """dumb-frotz ended the whole process ("Fatal error: Story file read error" / "Unknown
    Z-code version") on these; the header check refuses them with a clear error instead."""
    source = Path(make().unwrapped.game_file)
    story, description = source.read_bytes(), source.with_suffix(".json").read_text()
    flipped = bytearray(story)
    flipped[len(story) // 2] ^= 0x01
    games = {
        "truncated": (story[:1000], "truncated or corrupt"),
        "random": (np.random.default_rng(0).bytes(1000), "not a Z-machine version 8"),
        "empty": (b"", "not a Z-machine version 8"),
        "flipped": (bytes(flipped), "fails its header checksum"),
    }
    for name, (data, _) in games.items():
        _broken_copy(tmp_path, name, data, description)
    script = f"""
import gymnasium as gym, aisam_envs
from aisam_envs.errors import InvalidConfigError
for name in {list(games)!r}:
    try:
        gym.make({ENV_ID!r}, game_file=name + ".z8").reset(seed=0)
    except InvalidConfigError as exc:
        print(name, "refused:", exc)
    else:
        print(name, "played")
"""
    done = subprocess.run(  # in tmp_path: frotz may write files into the working directory
        [sys.executable, "-c", script], cwd=tmp_path, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == len(games), done.stdout
    for line, (name, (_, match)) in zip(lines, games.items(), strict=True):
        assert line.startswith(f"{name} refused:") and match in line, line


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("version-3", "not a Z-machine version 8"),  # loaded, then reset() raised TypeError
        ("empty-object", "KeyError"),
        ("not-json", "not a JSON file"),
        ("json-list", "holds a JSON list"),
        ("metadata-list", "'metadata' must be an object"),
        ("walkthrough-string", "'metadata' must be an object"),
    ],
)
def test_broken_games_give_clear_errors(tmp_path: Path, name: str, match: str) -> None:
    source = Path(make().unwrapped.game_file)
    story, description = source.read_bytes(), source.with_suffix(".json").read_text()
    data = json.loads(description)
    broken = {
        "version-3": (bytes([3]) + story[1:], description),
        "empty-object": (story, "{}"),
        "not-json": (story, "not json"),
        "json-list": (story, "[1, 2]"),
        "metadata-list": (story, json.dumps({**data, "metadata": [1]})),
        "walkthrough-string": (story, json.dumps({**data, "metadata": {"walkthrough": "go"}})),
    }
    game = _broken_copy(tmp_path, name, *broken[name])
    with pytest.raises(InvalidConfigError, match=match):
        gym.make(ENV_ID, game_file=game).reset(seed=0)


def test_padded_story_file_is_played(tmp_path: Path) -> None:
    """The header's length and checksum cover the story only: padding after it is fine."""
    source = Path(make().unwrapped.game_file)
    game = _broken_copy(tmp_path, "padded", source.read_bytes() + bytes(512),
                        source.with_suffix(".json").read_text())  # fmt: skip
    _, info = gym.make(ENV_ID, game_file=game).reset(seed=0)
    assert info["walkthrough"]


def test_game_file_without_json_is_rejected(tmp_path: Path) -> None:
    game = tmp_path / "lonely.z8"
    game.write_bytes(Path(make().unwrapped.game_file).read_bytes())
    with pytest.raises(InvalidConfigError, match="lonely.json"):
        gym.make(ENV_ID, game_file=game)


def test_render_ansi() -> None:
    env = make(render_mode="ansi")
    env.reset(seed=0)
    env.step("look")
    text = env.render()
    assert text.startswith("> look\n-=")
