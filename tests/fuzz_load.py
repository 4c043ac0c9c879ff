"""The corrupted-file fuzzer that tests/test_fuzz_load.py runs in a subprocess with a memory limit
and a timeout: `python tests/fuzz_load.py DIRECTORY EXAMPLES`.

Each example damages a valid safetensors file written by fn.save: truncation, bit flips, a
changed header length, header fields replaced by wrong types, huge or negative numbers, nested
values, bad offsets or dtypes, trailing bytes. fn.load must raise ValueError or, when the damage
left a well-formed file (a flipped bit in the data area), return tensors whose bytes are the
file's. Anything else is printed as `FAIL ...` and the exit status is 1.
"""
import json
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn as fn
from helpers import fuzz_report

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True),
                 st.text(max_size=5), st.lists(st.integers(-3, 2 ** 64), max_size=70),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
                 st.just([[[[[[[["deep"]]]]]]]]), st.sampled_from(["F32", "F64", "BF16", "I64", "U8", "BOOL", "C64"]))


def original(directory):
    path = Path(directory) / "model.safetensors"
    fn.save({"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.arange(3, dtype=np.float64),
             "steps": np.array(7, dtype=np.int64), "mask": np.array([True, False])}, path, metadata={"epoch": "3"})
    return path.read_bytes()


def split(raw):
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def join(header, data, length=None):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return (len(text) if length is None else length).to_bytes(8, "little", signed=length is not None and length < 0) \
        + text + data


@st.composite
def damaged(draw, raw):
    kind = draw(st.sampled_from(["truncate", "flip", "length", "field", "entry", "trailing", "header bytes",
                                      "nesting"]))
    header, data = split(raw)
    if kind == "truncate":
        return kind, raw[:draw(st.integers(0, len(raw) - 1))]
    if kind == "flip":
        flipped = bytearray(raw)
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(raw) - 1))
            flipped[position] ^= 1 << draw(st.integers(0, 7))
        return kind, bytes(flipped)
    if kind == "length":
        length = draw(st.sampled_from([0, 1, 7, 2 ** 63 - 1, 2 ** 64 - 1, 100_000_001, len(raw), len(raw) - 8]))
        return kind, length.to_bytes(8, "little") + raw[8:]
    if kind == "trailing":
        return kind, raw + bytes(draw(st.integers(1, 16)))
    if kind == "header bytes":
        junk = draw(st.binary(max_size=64))
        return kind, len(junk).to_bytes(8, "little") + junk + data
    if kind == "nesting":  # deeper than any JSON parser's recursion limit
        depth = draw(st.sampled_from([990, 5000, 200_000]))
        where = draw(st.sampled_from([b'{"w": ', b'{"__metadata__": {"a": ', b'{"w": {"dtype": "F32", "shape": ']))
        text = where + b"[" * depth + b"]" * depth + b"}" * where.count(b"{")
        text += b" " * (-len(text) % 8)
        return kind, len(text).to_bytes(8, "little") + text + data
    name = draw(st.sampled_from(sorted(header)))
    if kind == "entry":
        header[name] = draw(JUNK)
    else:
        field = draw(st.sampled_from(sorted(header[name])))
        if isinstance(header[name][field], list) and header[name][field] and draw(st.booleans()):
            header[name][field][draw(st.integers(0, len(header[name][field]) - 1))] = draw(JUNK)
        else:
            header[name][field] = draw(JUNK)
    return kind, join(header, data)


def run(directory, examples):
    raw = original(directory)
    target = Path(directory) / "damaged.safetensors"
    failures, counts = {}, {}

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(damaged(raw))
    def example(case):
        kind, content = case
        counts[kind] = counts.get(kind, 0) + 1
        target.write_bytes(content)
        print("RUN", kind, content[:120], flush=True)
        try:
            loaded = fn.load(target)
        except ValueError as error:
            if str(target) not in str(error) or len(str(error)) > 2000:
                failures.setdefault(f"{kind}: unclear ValueError", str(error)[:200])
            return
        except Exception as error:  # noqa: BLE001 - anything but ValueError is the defect
            failures.setdefault(f"{kind}: {type(error).__name__}", f"{str(error)[:200]} for {content[:80]!r}")
            return
        data_start = 8 + int.from_bytes(content[:8], "little")
        header = json.loads(content[8:data_start])
        for name, tensor in loaded.items():
            begin, end = header[name]["data_offsets"]
            if tensor.numpy().tobytes() != content[data_start + begin:data_start + end]:
                failures.setdefault(f"{kind}: tensor {name} does not hold the file's bytes", repr(content[:80]))

    example()
    return fuzz_report(failures, f"fuzz load: {sum(counts.values())} files ({counts})")


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1], int(sys.argv[2])) else 1)
