"""Checkpoints without pickle: a nested structure of dicts, lists, tuples, Python scalars and
tensors, split into its tensors (stored as safetensors entries) and a JSON description of the
rest (stored as one string of the safetensors metadata).

The JSON is tagged so that every Python type comes back as it was saved:
    null / true / 3 / 2.5 / "text"        None, bool, int, float, str
    {"float": "nan" | "inf" | "-inf"}     the floats JSON cannot write
    {"tensor": "name"}                    the safetensors entry `name`
    {"list": [...]}, {"tuple": [...]}     sequences
    {"dict": [[key, value], ...]}         dicts (OrderedDict: "odict"); keys are None, bool, int,
                                          float or str, so int keys (an optimizer's state) stay int
Decoding checks every node, refers each tensor exactly once and limits the nesting, so a
malformed or hostile file raises ValueError (never RecursionError, never runs code).
"""
import collections
import json
import math
import re

import numpy as np

from fastnn.tensor import Tensor

MAX_NESTING = 32  # containers inside containers; state dicts of real models need 4
_KEY_TYPES = (str, int, float, bool, type(None))
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_JSON_LEVELS_PER_CONTAINER = 3  # {"dict": [[key, value]]}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)  # a JSON string literal


def _refuse_object(value, where):
    """The TypeError for a value fastnn cannot save, with what to save instead."""
    from fastnn.nn.module import Module  # here: fastnn.nn imports much of fastnn
    from fastnn.optim.optimizer import Optimizer
    kind = type(value).__name__
    if isinstance(value, (Module, Optimizer)):
        base = "Module" if isinstance(value, Module) else "Optimizer"
        name = "model" if base == "Module" else "optimizer"
        return TypeError(f"save(): {where} is a whole {base} ({kind}); fastnn saves no Python objects (no pickle). "
                         f"Save its state instead: fn.save({name}.state_dict(), path), and later build the {name} "
                         f"and call {name}.load_state_dict(fn.load(path))")
    return TypeError(f"save(): {where} is a {kind}, which fastnn cannot save; a checkpoint holds Tensors, NumPy "
                     "arrays, dicts, lists, tuples, str, int, float, bool and None")


def is_array(value):
    return isinstance(value, (Tensor, np.ndarray, np.generic))


def encode(obj):
    """(JSON text, [(tensor name, array-like), ...]) for `obj`; tensor names are the paths of
    the tensors in obj ("model.fc.weight", "optimizer.state.0.exp_avg"), made unique."""
    tensors, names = [], {"__metadata__"}

    def name_for(path):
        name = ".".join(path) or "tensor"
        unique, count = name, 1
        while unique in names:
            unique, count = f"{name}#{count}", count + 1
        names.add(unique)
        return unique

    def where(path):
        return "obj" + "".join(f"[{part!r}]" for part in path)

    def node(value, path, depth):
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": str(value)}
        if is_array(value):
            name = name_for(path)
            tensors.append((name, value))
            return {"tensor": name}
        if isinstance(value, (dict, list, tuple)):
            if depth >= MAX_NESTING:
                raise ValueError(f"save(): {where(path)} is nested more than {MAX_NESTING} containers deep (or "
                                 "contains itself)")
            if isinstance(value, dict):
                pairs = []
                for key, item in value.items():
                    if not isinstance(key, _KEY_TYPES):
                        raise TypeError(f"save(): {where(path)} has a key of type {type(key).__name__}; dict keys "
                                        "must be str, int, float, bool or None")
                    pairs.append([node(key, path, depth + 1), node(item, path + [str(key)], depth + 1)])
                return {"odict" if isinstance(value, collections.OrderedDict) else "dict": pairs}
            items = [node(item, path + [str(index)], depth + 1) for index, item in enumerate(value)]
            return {"tuple" if isinstance(value, tuple) else "list": items}
        raise _refuse_object(value, where(path))

    return json.dumps({"version": 1, "object": node(obj, [], 0)}, separators=(",", ":"), ensure_ascii=False), tensors


def json_depth(text):
    """The deepest nesting of [ and { in JSON `text` (outside strings), found without recursion."""
    stripped = _STRING.sub("", text)
    codes = np.frombuffer(stripped.encode("utf-8"), dtype=np.uint8)
    steps = np.zeros(codes.shape, dtype=np.int64)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def decode(text, tensors, where):
    """The object described by JSON `text`, with {"tensor": name} replaced by tensors[name];
    ValueError naming `where` (the file) for anything malformed."""
    def fail(message):
        raise ValueError(f"{where}: the checkpoint structure is invalid: {message}")

    limit = _JSON_LEVELS_PER_CONTAINER * MAX_NESTING + 2
    if json_depth(text) > limit:
        fail(f"it is nested more than {MAX_NESTING} containers deep")
    try:
        document = json.loads(text)
    except ValueError as error:
        fail(f"not well-formed JSON ({error})")
    if not isinstance(document, dict) or set(document) != {"version", "object"} or document["version"] != 1:
        fail('expected {"version": 1, "object": ...}')
    used = set()

    def node(value, depth):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if not isinstance(value, dict) or len(value) != 1:
            fail(f"expected a scalar or an object with one tag, got {str(value)[:80]}")
        (tag, content), = value.items()
        if tag == "tensor":
            if not isinstance(content, str) or content not in tensors:
                fail(f"it refers to a tensor {content!r} that the file does not hold")
            if content in used:
                fail(f"it refers to tensor {content!r} twice")
            used.add(content)
            return tensors[content]
        if tag == "float":
            if content not in _SPECIAL_FLOATS:
                fail(f"'float' must be 'nan', 'inf' or '-inf', got {content!r}")
            return _SPECIAL_FLOATS[content]
        if tag not in ("list", "tuple", "dict", "odict"):
            fail(f"unknown tag {tag!r}")
        if not isinstance(content, list):
            fail(f"{tag!r} must hold a list, got {type(content).__name__}")
        if depth >= MAX_NESTING:
            fail(f"it is nested more than {MAX_NESTING} containers deep")
        if tag in ("list", "tuple"):
            items = [node(item, depth + 1) for item in content]
            return items if tag == "list" else tuple(items)
        result = collections.OrderedDict() if tag == "odict" else {}
        for pair in content:
            if not isinstance(pair, list) or len(pair) != 2:
                fail(f"a {tag} entry must be a [key, value] pair, got {str(pair)[:80]}")
            key = node(pair[0], depth + 1)
            if not isinstance(key, _KEY_TYPES):
                fail(f"a dict key must be a scalar, got {type(key).__name__}")
            if key in result:
                fail(f"duplicate dict key {key!r}")
            result[key] = node(pair[1], depth + 1)
        return result

    obj = node(document["object"], 0)
    if len(used) != len(tensors):
        unused = sorted(set(tensors) - used)
        fail(f"tensors {unused[:5]} are in the file but not in the structure")
    return obj
