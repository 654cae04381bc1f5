"""The state of a live object graph as tensors and plain containers, and back into it.

An agent saves what lives outside its policy (a bonus's networks, optimiser, memories and
normalisers) with :func:`encode`, which turns the graph into nested dicts of tensors,
numbers and strings that ``torch.load(weights_only=True)`` reads: opening a model file
runs no code from it. :func:`restore` writes such a tree back into an object built the
same way (the env's own bonus), in place where it can: arrays and tensors of the same
shape are copied into, modules and optimisers take their state dicts, numpy generators
their bit-generator state. Objects that have no live counterpart (e.g. transitions a
bonus buffered for its next training step) are rebuilt, but only of aisam's own classes.

What is configuration rather than state is not saved: gymnasium spaces, devices, classes
and functions. Frozen dataclasses (aisam's config objects) are saved and compared on
restore, so a bonus built with other settings is refused instead of silently mixed.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import types
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from aisam_agents.errors import CheckpointError

__all__ = ["encode", "restore"]

#: modules whose classes a saved tree may name (objects rebuilt without their __init__)
_TRUSTED_MODULES = ("aisam_wrappers.", "aisam_agents.", "aisam_envs.")
#: configuration, not state: left as the live object has it
_NOT_STATE = (
    spaces.Space,
    torch.device,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
)
_SKIP: dict[str, Any] = {"skip": True}


def encode(obj: Any) -> Any:
    """``obj``'s state as nested dicts/lists of tensors, numbers and strings.

    Raises:
        CheckpointError: the graph holds an object of a class outside aisam's packages,
            an object array, or a reference cycle.
    """
    return _encode(obj, set())


def _encode(obj: Any, path: set[int]) -> Any:
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, _NOT_STATE):
        return _SKIP
    if isinstance(obj, np.generic):
        return {"np_scalar": torch.from_numpy(np.asarray(obj).copy())}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise CheckpointError(f"cannot save an object array ({obj.shape}) as state")
        return {"ndarray": torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, torch.Tensor):
        return {"tensor": obj.detach().cpu().clone()}
    if isinstance(obj, torch.nn.Module):  # copies: a snapshot, not the live tensors
        return {"module": {k: v.detach().clone() for k, v in obj.state_dict().items()}}
    if isinstance(obj, torch.optim.Optimizer):  # (loading would share them with the live one)
        return {"optimizer": copy.deepcopy(obj.state_dict())}
    if isinstance(obj, np.random.Generator):
        return {"generator": obj.bit_generator.state}
    if id(obj) in path:
        raise CheckpointError(f"cannot save a reference cycle through a {type(obj).__name__}")
    path = path | {id(obj)}
    if isinstance(obj, list | tuple):
        return {type(obj).__name__: [_encode(item, path) for item in obj]}
    if isinstance(obj, dict):
        return {"dict": {_key(key): _encode(value, path) for key, value in obj.items()}}
    name = _class_name(type(obj))
    if dataclasses.is_dataclass(obj) and obj.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        fields = {f.name: _encode(getattr(obj, f.name), path) for f in dataclasses.fields(obj)}
        return {"config": name, "fields": fields}
    attrs = {}
    for attr, value in _attributes(obj).items():
        encoded = _encode(value, path)
        if encoded is not _SKIP:
            attrs[attr] = encoded
    return {"object": name, "attrs": attrs}


def restore(live: Any, tree: Any) -> Any:
    """``tree`` (from :func:`encode`) written into ``live``; returns the restored object
    (``live`` itself where it could be updated in place).

    Raises:
        CheckpointError: the tree does not fit ``live`` (another class, other settings,
            weights of other shapes) or names a class outside aisam's packages.
    """
    if not isinstance(tree, dict):
        return tree
    if tree == _SKIP:
        return live
    kind, value = next(iter(tree.items()))
    if kind == "np_scalar":
        return value.numpy()[()]
    if kind == "ndarray":
        return _restore_array(live, value.numpy())
    if kind == "tensor":
        if isinstance(live, torch.Tensor) and live.shape == value.shape:
            with torch.no_grad():
                return live.copy_(value)
        return value
    if kind in ("module", "optimizer"):
        expected = torch.nn.Module if kind == "module" else torch.optim.Optimizer
        if not isinstance(live, expected):
            raise CheckpointError(f"the saved state has a {kind} where the live object has none")
        try:
            live.load_state_dict(value)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"the saved {kind} state does not fit: {exc}") from exc
        return live
    if kind == "generator":
        generator = live if isinstance(live, np.random.Generator) else np.random.default_rng()
        generator.bit_generator.state = value
        return generator
    if kind in ("list", "tuple"):
        lives = list(live) if isinstance(live, list | tuple) else []
        items = [restore(lives[i] if i < len(lives) else None, t) for i, t in enumerate(value)]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        lives = live if isinstance(live, dict) else {}
        return {key: restore(lives.get(key), t) for key, t in value.items()}
    if kind == "config":
        return _restore_config(live, tree)
    return _restore_object(live, tree)


def _restore_array(live: Any, array: np.ndarray) -> np.ndarray:
    """Copies into ``live`` if it is a writable array of the same shape and dtype."""
    fits = isinstance(live, np.ndarray) and live.shape == array.shape and live.dtype == array.dtype
    if fits and live.flags.writeable:
        live[...] = array
        return live
    return array.copy()


def _restore_config(live: Any, tree: dict[str, Any]) -> Any:
    """The live config if it has the saved settings, else :class:`CheckpointError`."""
    cls = _trusted_class(tree["config"])
    fields = {name: restore(None, value) for name, value in tree["fields"].items()}
    if live is None:
        return cls(**fields)
    current = {f.name: getattr(live, f.name) for f in dataclasses.fields(live)}
    if type(live) is not cls or current != fields:
        raise CheckpointError(
            f"the saved state was made with {cls.__name__}({fields}), the live object has "
            f"{type(live).__name__}({current}): build it with the saved settings"
        )
    return live


def _restore_object(live: Any, tree: dict[str, Any]) -> Any:
    cls = _trusted_class(tree["object"])
    if live is not None and type(live) is not cls:
        raise CheckpointError(
            f"the saved state holds a {cls.__name__} where the live object is a "
            f"{type(live).__name__}"
        )
    obj = cls.__new__(cls) if live is None else live
    for attr, value in tree["attrs"].items():
        # object.__setattr__: read-only slots classes refuse plain assignment
        object.__setattr__(obj, attr, restore(getattr(obj, attr, None), value))
    return obj


def _attributes(obj: Any) -> dict[str, Any]:
    """An object's instance attributes, from ``__dict__`` and ``__slots__``."""
    out = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                out[slot] = getattr(obj, slot)
    return out


def _key(key: Any) -> Any:
    if isinstance(key, str | int | bool) or key is None:
        return key
    raise CheckpointError(f"cannot save a dict keyed by {type(key).__name__} as state")


def _class_name(cls: type) -> str:
    name = f"{cls.__module__}:{cls.__qualname__}"
    if not cls.__module__.startswith(_TRUSTED_MODULES):
        raise CheckpointError(
            f"cannot save a {name} as state: only aisam's own classes are saved and rebuilt"
        )
    return name


def _trusted_class(name: str) -> type:
    """The aisam class a saved tree names (importing only aisam's own modules)."""
    module, _, qualname = name.partition(":")
    if not module.startswith(_TRUSTED_MODULES):
        raise CheckpointError(f"the saved state names {name}, which is not an aisam class")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if not isinstance(target, type):
        raise CheckpointError(f"the saved state names {name}, which is not a class")
    return target
