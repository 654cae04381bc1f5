"""Loading SB3-format model files without running code from them.

An SB3 ``.zip`` keeps the algorithm's settings in a JSON file, ``data``; the objects
JSON cannot hold (the policy class, the spaces, the schedules, the last observations)
are stored as base64 cloudpickle, and SB3's ``load`` unpickles them, which runs any code
the file's author put there. :func:`safe_custom_objects` rebuilds each of those objects
instead, from what the caller already trusts (the algorithm class and the env passed to
``load``) and the file's plain-JSON description of them, and hands them to SB3 as
``custom_objects``, so nothing of the file is unpickled (spaces, without an env, are
unpickled with only gymnasium's space classes and numpy's data constructors allowed); a
pickled entry it cannot rebuild makes the load fail with
:class:`~aisam_agents.errors.CheckpointError`. The weights
(``*.pth``) are read by SB3 with ``torch.load(weights_only=True)``, which runs no code.
``trusted=True`` restores SB3's behaviour, for files you made yourself.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import inspect
import io
import json
import pickle
import pickletools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gymnasium import spaces

from aisam_agents.errors import CheckpointError
from aisam_envs.errors import require_extra

require_extra("stable_baselines3", "agents")
from stable_baselines3.common.base_class import BaseAlgorithm  # noqa: E402
from stable_baselines3.common.buffers import (  # noqa: E402
    DictReplayBuffer,
    DictRolloutBuffer,
    ReplayBuffer,
    RolloutBuffer,
)
from stable_baselines3.common.type_aliases import TrainFreq, TrainFrequencyUnit  # noqa: E402
from stable_baselines3.common.utils import (  # noqa: E402
    ConstantSchedule,
    FloatSchedule,
    LinearSchedule,
)

Algo = TypeVar("Algo", bound=BaseAlgorithm)

#: run-time state SB3 saves pickled and rebuilds itself when it is missing (``learn``
#: resets the env and starts new episode buffers)
_RUNTIME_STATE = ("_last_obs", "_last_episode_starts", "_last_original_obs")
_EPISODE_BUFFERS = ("ep_info_buffer", "ep_success_buffer")
_SCHEDULES = ("lr_schedule", "clip_range", "clip_range_vf", "exploration_schedule")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_BUFFERS = (RolloutBuffer, DictRolloutBuffer, ReplayBuffer, DictReplayBuffer)
#: modules whose classes a ``policy_kwargs`` entry may name (optimizers, activations,
#: feature extractors): importing them runs no code of the file's
_CLASS_MODULES = ("torch.optim.", "torch.nn.modules.", "stable_baselines3.", "sb3_contrib.")
#: what a pickled gymnasium space may name: the space classes and numpy's array, dtype and
#: random-generator constructors (data, no code of the file's)
_SPACE_GLOBALS = {
    *(("gymnasium.spaces." + m, c) for m, c in [
        ("box", "Box"), ("discrete", "Discrete"), ("multi_discrete", "MultiDiscrete"),
        ("multi_binary", "MultiBinary"), ("dict", "Dict"), ("tuple", "Tuple"),
    ]),
    *((core + m, c) for core in ("numpy._core.", "numpy.core.") for m, c in [
        ("numeric", "_frombuffer"), ("multiarray", "scalar"), ("multiarray", "_reconstruct"),
    ]),
    ("numpy", "dtype"), ("numpy", "ndarray"), ("collections", "OrderedDict"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    ("numpy.random.bit_generator", "SeedSequence"), ("numpy.random._pcg64", "PCG64"),
    ("numpy.random._pcg64", "PCG64DXSM"), ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._philox", "Philox"), ("numpy.random._sfc64", "SFC64"),
}  # fmt: skip


def safe_custom_objects(
    algo_cls: type[BaseAlgorithm],
    path: str | Path | io.BufferedIOBase,
    env: Any,
    custom_objects: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``custom_objects`` for SB3's ``load`` that replace every pickled entry of ``path``.

    Args:
        algo_cls: the class ``load`` is called on; its ``policy_aliases`` (and
            ``safe_load_classes``, for classes of its own such as a rollout buffer) are
            the classes a file may name.
        path: the ``.zip`` file.
        env: the env passed to ``load``, wrapped as SB3 wraps it; its spaces replace the
            pickled ones (checked against the file's description). Without one, the spaces
            are unpickled with only gymnasium's space classes and numpy's data allowed.
        custom_objects: the caller's own replacements, kept as given.

    Raises:
        CheckpointError: the file is missing or not an SB3 zip, a pickled entry cannot
            be rebuilt, or the env's spaces are not the ones the model was saved with.
    """
    given = dict(custom_objects or {})
    data = plain_data(path)
    out = dict(given)
    for key, entry in data.items():
        if key in given or not (isinstance(entry, dict) and ":serialized:" in entry):
            continue
        out[key] = _rebuild(algo_cls, key, entry, env, path)
    return out


def safe_load(
    algo_cls: type[Algo],
    path: str | Path,
    env: Any = None,
    *,
    trusted: bool = False,
    custom_objects: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Algo:
    """``algo_cls.load(path, env, ...)`` that runs no code from the file (unless ``trusted``).

    For any SB3 algorithm class (``PPO``, ``DQN``, sb3-contrib's); aisam's own agents load
    this way by themselves (their ``load`` takes ``trusted=`` too). ``kwargs`` go to the
    class's ``load``.
    """
    if getattr(algo_cls, "weights_only_files", False):  # its own format: nothing is unpickled
        return algo_cls.load(path, env=env, **kwargs)
    if "trusted" in inspect.signature(algo_cls.load).parameters:
        kwargs["trusted"] = trusted
    elif not trusted:
        custom_objects = safe_custom_objects(algo_cls, path, env, custom_objects)
    return algo_cls.load(path, env=env, custom_objects=custom_objects, **kwargs)


def plain_data(path: str | Path | io.BufferedIOBase) -> dict[str, Any]:
    """The ``data`` JSON of an SB3 model file as it is: pickled entries stay base64 text.

    Raises:
        CheckpointError: no such file, or not an SB3 zip.
    """
    file: Any = path
    if isinstance(path, str | Path):
        file = Path(path)
        if not file.exists() and file.suffix != ".zip":
            file = file.with_suffix(".zip")  # SB3 adds the suffix too
    start = file.tell() if isinstance(file, io.IOBase) else None
    try:
        with zipfile.ZipFile(file) as archive:
            data = json.loads(archive.read("data"))
    except FileNotFoundError as exc:
        raise CheckpointError(f"no model file at {path}") from exc
    except KeyError as exc:
        raise CheckpointError(f"{file} is damaged or truncated: it has no model data") from exc
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"{file} is not a readable SB3 model file ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        if start is not None:
            file.seek(start)  # SB3 reads the same stream next
    if not isinstance(data, dict):
        raise CheckpointError(f"{file} is not a readable SB3 model file (its data is not a dict)")
    return data


def _rebuild(
    algo_cls: type[BaseAlgorithm], key: str, entry: dict[str, Any], env: Any, path: str | Path
) -> Any:
    """The object a pickled ``data`` entry stands for, built without unpickling it."""
    if key in _RUNTIME_STATE or key in _EPISODE_BUFFERS:
        return None
    if key in ("observation_space", "action_space"):
        if env is None:
            return _space(entry, key, path)
        return _checked_space(getattr(env, key), entry, key, path)
    if key in _SCHEDULES:
        return _schedule(entry, key, path)
    if key in ("policy_class", "rollout_buffer_class", "replay_buffer_class"):
        candidates = [
            *getattr(algo_cls, "policy_aliases", {}).values(),
            *_BUFFERS,
            *getattr(algo_cls, "safe_load_classes", ()),
        ]
        return _matching_class(entry, candidates, key, algo_cls, path)
    if key == "policy_kwargs" and entry.get(":type:") == "<class 'dict'>":
        return _kwargs(entry, path)
    if key == "train_freq":
        return _train_freq(entry, path)
    raise CheckpointError(
        f"{path} holds a pickled {key!r} ({entry.get(':type:')}) that {algo_cls.__name__} "
        "cannot rebuild safely; load it with trusted=True only if you trust the file"
    )


class _SpaceUnpickler(pickle.Unpickler):
    """Unpickles a gymnasium space and nothing else: any other global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SPACE_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a space")
        return super().find_class(module, name)


def _space(entry: dict[str, Any], key: str, path: str | Path) -> spaces.Space:
    """The space pickled in ``entry``, unpickled with only space and numpy data classes
    allowed (for a load without an env)."""
    try:
        raw = base64.b64decode(entry[":serialized:"])
        space = _SpaceUnpickler(io.BytesIO(raw)).load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, binascii.Error) as exc:
        raise CheckpointError(
            f"{path}: its {key} is not a plain gymnasium space ({exc}); pass env= to load "
            "(its spaces are used instead), or trusted=True only if you trust the file"
        ) from exc
    if not isinstance(space, spaces.Space):
        raise CheckpointError(f"{path}: its {key} is not a gymnasium space")
    return space


def _checked_space(
    space: spaces.Space, entry: dict[str, Any], key: str, path: str | Path | io.BufferedIOBase
) -> spaces.Space:
    """``space`` (the env's) if the file describes a space of the same type and shape."""
    kind = f"<class '{type(space).__module__}.{type(space).__name__}'>"
    shape = entry.get("_shape")
    same_shape = shape is None or space.shape is None or list(space.shape) == list(shape)
    same_n = "n" not in entry or str(getattr(space, "n", "")) == str(entry["n"])
    if entry.get(":type:") != kind or not same_shape or not same_n:
        size = f", n {entry['n']}" if "n" in entry else ""
        saved = f"{entry.get(':type:')} of shape {shape}{size}"
        raise CheckpointError(
            f"{path} was saved for another env: its {key} is {saved}, the given env's is "
            f"{space}; load it with an env like the one it was trained on"
        )
    return space


def _schedule(entry: dict[str, Any], key: str, path: str | Path) -> Callable[[float], float]:
    """A constant or linear schedule from its description (``ConstantSchedule(val=0.2)``)."""
    if entry.get(":type:") == f"<class '{LinearSchedule.__module__}.LinearSchedule'>":
        try:
            return LinearSchedule(
                float(entry["start"]), float(entry["end"]), float(entry["end_fraction"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path} describes its {key} incompletely ({exc})") from exc
    text = str(entry.get("value_schedule", ""))
    if match := re.fullmatch(rf"ConstantSchedule\(val=({_NUMBER})\)", text):
        return FloatSchedule(ConstantSchedule(float(match[1])))
    pattern = rf"LinearSchedule\(start=({_NUMBER}), end=({_NUMBER}), end_fraction=({_NUMBER})\)"
    if match := re.fullmatch(pattern, text):
        start, end, fraction = (float(match[i]) for i in (1, 2, 3))
        return FloatSchedule(LinearSchedule(start, end, fraction))
    raise CheckpointError(
        f"{path} holds a {key} schedule that cannot be rebuilt safely ({text or 'a function'}); "
        "load it with trusted=True only if you trust the file"
    )


def _matching_class(
    entry: dict[str, Any],
    candidates: list[type],
    key: str,
    algo_cls: type[BaseAlgorithm],
    path: str | Path,
) -> type:
    """The candidate class that the file's description (module and docstring) names."""
    for candidate in candidates:
        if (
            isinstance(candidate, type)
            and candidate.__module__ == entry.get("__module__")
            and candidate.__doc__ == entry.get("__doc__")
        ):
            return candidate
    init = re.match(r"<function (\w+)\.__init__", str(entry.get("__init__", "")))
    name = f"{init[1] if init else 'a class'} of {entry.get('__module__')!r}"
    raise CheckpointError(
        f"{path} was saved by another algorithm (its {key} is {name}), not by "
        f"{algo_cls.__name__}: load it with the class that saved it (trusted=True only for a "
        "file you trust)"
    )


def _kwargs(entry: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """``policy_kwargs`` from its description: plain JSON values as they are, classes
    (``"<class 'torch.optim.rmsprop.RMSprop'>"``) imported from the allowed modules."""
    out = {}
    for name, value in entry.items():
        if name in (":type:", ":serialized:"):
            continue
        if not (isinstance(value, str) and value.startswith("<") and value.endswith(">")):
            out[name] = value  # a plain JSON value
            continue
        # an object SB3 could only describe by its str(): a class of an allowed module
        match = re.fullmatch(r"<class '([\w.]+)\.(\w+)'>", value)
        found = None
        if match is not None and match[1].startswith(_CLASS_MODULES):
            try:
                found = getattr(importlib.import_module(match[1]), match[2], None)
            except ImportError:
                found = None
        if not isinstance(found, type):
            raise CheckpointError(
                f"{path}: policy_kwargs[{name!r}] is {value}, which cannot be loaded safely; "
                "load it with trusted=True only if you trust the file"
            )
        out[name] = found
    return out


def _train_freq(entry: dict[str, Any], path: str | Path) -> TrainFreq:
    """An off-policy algorithm's ``TrainFreq(frequency, unit)``, read from the pickle's
    opcodes (never executed): exactly the two classes, one int and the unit's name."""
    try:
        ops = list(pickletools.genops(base64.b64decode(entry[":serialized:"])))
    except (ValueError, binascii.Error) as exc:
        raise CheckpointError(f"{path}: its train_freq is damaged ({exc})") from exc
    texts = [arg for op, arg, _ in ops if isinstance(arg, str) and "UNICODE" in op.name]
    ints = [arg for op, arg, _ in ops if op.name.startswith(("BININT", "LONG", "INT"))]
    units = {unit.value: unit for unit in TrainFrequencyUnit}
    module = TrainFreq.__module__
    if len(texts) != 4 or texts[:3] != [module, "TrainFreq", "TrainFrequencyUnit"]:
        raise CheckpointError(f"{path}: its train_freq is not a plain TrainFreq")
    if len(ints) != 1 or texts[3] not in units:
        raise CheckpointError(f"{path}: its train_freq is not a plain TrainFreq")
    return TrainFreq(int(ints[0]), units[texts[3]])
