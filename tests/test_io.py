"""fn.save / fn.load: safetensors round trips, interop with the reference package, corrupt files."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import fastnn as fn
from helpers import random_array


def state():
    return {
        "layer.weight": fn.tensor(random_array((5, 3))),
        "layer.bias": random_array(5, dtype=np.float64),
        "steps": np.array(7, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "codes": np.arange(-4, 5, dtype=np.int8),
        "half": random_array((2, 2), dtype=np.float16),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "transposed": random_array((4, 6)).T,  # non-contiguous
    }


def assert_state_equal(loaded, original):
    assert list(loaded) == list(original)
    for name, value in original.items():
        expected = np.asarray(value)
        got = loaded[name].numpy() if isinstance(loaded[name], fn.Tensor) else loaded[name]
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected)


def test_round_trip_keeps_values_dtypes_shapes_and_order(tmp_path):
    path = tmp_path / "model.safetensors"
    original = state()
    fn.save(original, path)
    loaded = fn.load(path)
    assert all(isinstance(t, fn.Tensor) for t in loaded.values())
    assert_state_equal(loaded, original)
    loaded["layer.bias"][0] = 42.0  # loaded tensors are ordinary writable tensors


def test_file_layout_is_aligned_and_padded(tmp_path):
    path = tmp_path / "m.safetensors"
    fn.save(state(), path, metadata={"format": "pt", "epoch": "3"})
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    assert (8 + header_len) % 8 == 0
    header = json.loads(raw[8:8 + header_len])
    assert header["__metadata__"] == {"format": "pt", "epoch": "3"}
    for name, info in header.items():
        if name != "__metadata__":
            begin = info["data_offsets"][0]
            assert begin % np.dtype(state()[name].dtype).itemsize == 0, name


def test_shared_tensors_are_saved_independently(tmp_path):
    weight = fn.tensor(random_array((3, 3)))
    fn.save({"encoder.weight": weight, "decoder.weight": weight, "view": weight.numpy()[1:]}, tmp_path / "tied.st")
    loaded = fn.load(tmp_path / "tied.st")
    np.testing.assert_array_equal(loaded["decoder.weight"].numpy(), weight.numpy())
    np.testing.assert_array_equal(loaded["view"].numpy(), weight.numpy()[1:])
    loaded["encoder.weight"][0, 0] = 100.0
    assert loaded["decoder.weight"].numpy()[0, 0] != 100.0


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    fn.save({"a": np.ones(3)}, path)
    before = path.read_bytes()

    def failing_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        fn.save({"a": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    # A writer killed outright (SIGKILL) cannot clean up: its temporary, named after its host and
    # pid, is removed by the next write of the same file once that pid no longer runs.
    path = tmp_path / "model.safetensors"
    fn.save({"a": np.ones(3)}, path)
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", f"""
import pathlib, time
from fastnn._atomic import write_atomically
def chunks():
    yield b"partial"
    pathlib.Path({str(ready)!r}).touch()
    time.sleep(600)
write_atomically({str(path)!r}, chunks())
"""], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists(), "the writer did not start"
    finally:
        child.kill()
        child.wait()
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.safetensors.")
    assert f".{child.pid}." in leftovers[0]
    np.testing.assert_array_equal(fn.load(path)["a"].numpy(), np.ones(3))  # the old file is intact
    fn.save({"a": np.zeros(2)}, path)
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors", "ready"]
    np.testing.assert_array_equal(fn.load(path)["a"].numpy(), np.zeros(2))


def test_temporaries_of_running_processes_and_other_files_are_kept(tmp_path):
    path = tmp_path / "model.safetensors"
    from fastnn import _atomic
    host = _atomic._host()
    live = tmp_path / f".model.safetensors.{host}.{os.getpid()}.0123abcd.tmp"  # this process: still writing
    other_host = tmp_path / f".model.safetensors.otherhost.999999999.0123abcd.tmp"
    other_file = tmp_path / f".weights.safetensors.{host}.999999999.0123abcd.tmp"
    for name in (live, other_host, other_file):
        name.write_bytes(b"x")
    fn.save({"a": np.ones(1)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (path, live, other_host, other_file))


def test_save_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real" / "model.safetensors"
    target.parent.mkdir()
    fn.save({"a": np.ones(2)}, target)
    target.chmod(0o640)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    fn.save({"a": np.full(3, 2.0)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(fn.load(target)["a"].numpy(), np.full(3, 2.0))
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its permissions
    assert sorted(os.listdir(target.parent)) == ["model.safetensors"]
    dangling = tmp_path / "dangling.safetensors"
    dangling.symlink_to(tmp_path / "real" / "new.safetensors")
    fn.save({"b": np.ones(1)}, dangling)  # as open(..., "wb") does: the link's target is created
    assert dangling.is_symlink() and (tmp_path / "real" / "new.safetensors").is_file()


@pytest.mark.parametrize("state_dict,metadata,error", [
    ({"a": np.array(["x"])}, None, TypeError),
    ({"a": {("tuple", "key"): 1}}, None, TypeError),
    ({"a": object()}, None, TypeError),
    ({"a": [np.ones(2)]}, {"fastnn.checkpoint": "{}"}, ValueError),
    ({"__metadata__": np.ones(2)}, None, ValueError),
    ({"a": np.ones(2)}, {"epoch": 3}, TypeError),
])
def test_save_rejects_bad_input(tmp_path, state_dict, metadata, error):
    with pytest.raises(error):
        fn.save(state_dict, tmp_path / "x.st", metadata=metadata)


# ------------------------------------------------------------------------ the reference package
def test_reference_package_reads_our_files(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="the `safetensors` package is not installed "
                                                                        "(pip install safetensors) for interop tests")
    original = state()
    fn.save(original, tmp_path / "ours.safetensors", metadata={"who": "fastnn"})
    theirs = safetensors_numpy.load_file(str(tmp_path / "ours.safetensors"))
    assert_state_equal({name: theirs[name] for name in original}, original)


def test_we_read_reference_package_files(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="the `safetensors` package is not installed "
                                                                        "(pip install safetensors) for interop tests")
    # The reference writer copies memory as laid out, so hand it contiguous arrays.
    original = {name: np.ascontiguousarray(value) for name, value in state().items()}
    safetensors_numpy.save_file(original, str(tmp_path / "theirs.safetensors"), metadata={"format": "np"})
    loaded = fn.load(tmp_path / "theirs.safetensors")
    assert_state_equal({name: loaded[name] for name in original}, original)


# ------------------------------------------------------------------------------- corrupt files
def write_raw(path, header, data=b"", header_len=None, pad=True):
    raw = json.dumps(header).encode() if isinstance(header, dict) else header
    if pad:
        raw += b" " * (-len(raw) % 8)
    length = len(raw) if header_len is None else header_len
    path.write_bytes(length.to_bytes(8, "little") + raw + data)
    return path


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CORRUPT = {
    "too small": (b"\x01\x02", None),
    "header past end": ({"a": entry()}, {"header_len": 10_000, "data": bytes(8)}),
    "header over limit": ({"a": entry()}, {"header_len": 200_000_000, "data": bytes(8)}),
    "not json": (b"{not json", {}),
    "not an object": (b"[1, 2]", {}),
    "not utf-8": (b"{\xff\xfe}", {}),
    "duplicate key": (b'{"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, '
                      b'"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}', {"data": bytes(4)}),
    "unknown dtype": ({"a": entry(dtype="F33")}, {"data": bytes(8)}),
    "bfloat16": ({"a": entry(dtype="BF16", offsets=(0, 4))}, {"data": bytes(4)}),
    "negative shape": ({"a": entry(shape=(-2,))}, {"data": bytes(8)}),
    "float shape": ({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, {"data": bytes(8)}),
    "missing field": ({"a": {"dtype": "F32", "shape": [2]}}, {"data": bytes(8)}),
    "size mismatch": ({"a": entry(shape=(3,))}, {"data": bytes(8)}),
    "reversed offsets": ({"a": entry(offsets=(8, 0))}, {"data": bytes(8)}),
    "offsets past end": ({"a": entry(offsets=(8, 16))}, {"data": bytes(8)}),
    "truncated data": ({"a": entry(shape=(4,), offsets=(0, 16))}, {"data": bytes(12)}),
    "overlap": ({"a": entry(), "b": entry(offsets=(4, 12))}, {"data": bytes(12)}),
    "gap": ({"a": entry(), "b": entry(offsets=(12, 20))}, {"data": bytes(20)}),
    "trailing bytes": ({"a": entry()}, {"data": bytes(16)}),
    "bad metadata": ({"__metadata__": {"epoch": 3}, "a": entry()}, {"data": bytes(8)}),
    "nested metadata": ({"__metadata__": {"a": [[[[["deep"]]]]]}, "a": entry()}, {"data": bytes(8)}),
    "deeply nested": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}),
    "deeply nested metadata": (b'{"__metadata__": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}", {}),
    "dtype is a list": ({"a": entry(dtype=["F32"])}, {"data": bytes(8)}),
    "dtype is an object": ({"a": entry(dtype={"F32": 1})}, {"data": bytes(8)}),
    "65 dimensions": ({"a": entry(shape=(1,) * 63 + (2, 1))}, {"data": bytes(8)}),
    "huge shape": ({"a": entry(shape=(10 ** 4000, 10 ** 4000))}, {"data": bytes(8)}),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_files_raise_value_error(tmp_path, case):
    header, options = CORRUPT[case]
    path = tmp_path / "bad.safetensors"
    if options is None:
        path.write_bytes(header)
    else:
        write_raw(path, header, **options)
    with pytest.raises(ValueError, match="bad.safetensors") as error:
        fn.load(path)
    assert len(str(error.value)) < 1000  # the field values are cut short in the message


def test_truncating_a_good_file_anywhere_raises_value_error(tmp_path):
    path = tmp_path / "model.safetensors"
    fn.save(state(), path)
    raw = path.read_bytes()
    for cut in sorted({0, 4, 8, 9, 20, len(raw) // 2, len(raw) - 8, len(raw) - 1}):
        (tmp_path / "cut.safetensors").write_bytes(raw[:cut])
        with pytest.raises(ValueError):
            fn.load(tmp_path / "cut.safetensors")


# ------------------------------------------------------------------------------- checkpoints
def checkpoint():
    model = fn.nn.Sequential(fn.nn.Linear(3, 4), fn.nn.ReLU(), fn.nn.Linear(4, 2))
    opt = fn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    model(fn.randn(5, 3)).sum().backward()
    opt.step()
    return {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "best": 0.25,
            "curve": [1.5, float("nan"), float("inf"), -float("inf")], "note": None, "done": False, "name": "run-1",
            "nested": (1, [2, {"a": fn.tensor([1, 2]), 7: "int key", None: True}]), "empty": {}}, model, opt


def assert_same(loaded, original, where="obj"):
    assert type(loaded) is type(original) or (isinstance(original, fn.Tensor) and isinstance(loaded, fn.Tensor)), where
    if isinstance(original, fn.Tensor):
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded.numpy(), original.numpy())
    elif isinstance(original, dict):
        assert list(loaded) == list(original), where
        for key in original:
            assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original), where
        for index, (a, b) in enumerate(zip(loaded, original)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(original, float) and np.isnan(original):
        assert np.isnan(loaded), where
    else:
        assert loaded == original, where


def test_checkpoint_round_trip_keeps_structure_types_and_tensors(tmp_path):
    original, _, _ = checkpoint()
    fn.save(original, tmp_path / "ckpt.pt")
    loaded = fn.load(tmp_path / "ckpt.pt", weights_only=True, map_location="cpu")
    assert_same(loaded, original)
    assert list(loaded["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys stay int
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_checkpoint_restores_model_and_optimizer_that_continue_identically(tmp_path):
    original, model, opt = checkpoint()
    fn.save(original, tmp_path / "ckpt.pt")
    loaded = fn.load(tmp_path / "ckpt.pt")
    model2 = fn.nn.Sequential(fn.nn.Linear(3, 4), fn.nn.ReLU(), fn.nn.Linear(4, 2))
    model2.load_state_dict(loaded["model"])
    opt2 = fn.optim.Adam(model2.parameters(), lr=0.5, amsgrad=True)
    opt2.load_state_dict(loaded["optimizer"])
    x = fn.tensor(random_array((6, 3), seed=3))
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_file_objects_seekable_or_not(tmp_path):
    import io

    original, _, _ = checkpoint()
    buffer = io.BytesIO()
    fn.save(original, buffer)
    buffer.seek(0)
    assert_same(fn.load(buffer), original)

    class Stream:  # read() only: a pipe or a socket
        def __init__(self, raw):
            self.raw = raw

        def read(self, size=-1):
            chunk, self.raw = self.raw, b""
            return chunk
    assert_state_equal(fn.load(Stream(fn_bytes(state()))), state())
    with open(tmp_path / "f.safetensors", "wb") as file:
        fn.save(state(), file)
    with open(tmp_path / "f.safetensors", "rb") as file:
        assert_state_equal(fn.load(file), state())
    with open(tmp_path / "text", "w") as file, pytest.raises(TypeError, match="binary mode"):
        fn.save(state(), file)
    (tmp_path / "text").write_bytes(fn_bytes(state()))
    with open(tmp_path / "text") as file, pytest.raises(TypeError, match="binary mode"):
        fn.load(file)
    with pytest.raises(TypeError, match="must be a path"):
        fn.load(3.5)


def fn_bytes(obj):
    import io
    buffer = io.BytesIO()
    fn.save(obj, buffer)
    return buffer.getvalue()


def test_map_location_forms(tmp_path):
    fn.save({"a": np.ones(2)}, tmp_path / "a.st")
    for location in (None, "cpu", {"cpu": "cpu"}, lambda storage, loc: storage):
        assert fn.load(tmp_path / "a.st", map_location=location)["a"].device == "cpu"
    with pytest.raises(ValueError, match="map_location"):
        fn.load(tmp_path / "a.st", map_location="tpu")
    with pytest.raises(TypeError, match="weights_only"):
        fn.load(tmp_path / "a.st", weights_only="yes")


def test_whole_model_or_optimizer_is_refused_with_what_to_save(tmp_path):
    _, model, opt = checkpoint()
    with pytest.raises(TypeError, match=r"whole Module \(Sequential\).*model.state_dict\(\)"):
        fn.save(model, tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"obj\['opt'\] is a whole Optimizer \(Adam\).*optimizer.state_dict\(\)"):
        fn.save({"opt": opt}, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_too_deep_or_cyclic_structures_are_refused(tmp_path):
    deep = [1]
    for _ in range(40):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 32"):
        fn.save({"deep": deep}, tmp_path / "d.pt")
    cyclic = {"a": 1}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="contains itself"):
        fn.save(cyclic, tmp_path / "d.pt")


def checkpoint_file(path, structure, tensors=()):
    """A file whose checkpoint metadata is `structure` (text), with float32 tensors `tensors`."""
    header = {"__metadata__": {"fastnn.checkpoint": structure}}
    for index, name in enumerate(tensors):
        header[name] = entry(offsets=(8 * index, 8 * index + 8))
    return write_raw(path, header, data=bytes(8 * len(tensors)))


BAD_STRUCTURES = {
    "deep nesting": ('{"version": 1, "object": ' + '{"list": [' * 5000 + ']}' * 5000 + '}', (), "nested more than"),
    "not json": ('{"version": 1, "object": [', (), "well-formed"),
    "no version": ('{"object": 1}', (), "version"),
    "missing tensor": ('{"version": 1, "object": {"tensor": "b"}}', ("a",), "does not hold"),
    "tensor twice": ('{"version": 1, "object": {"list": [{"tensor": "a"}, {"tensor": "a"}]}}', ("a",), "twice"),
    "unreferenced": ('{"version": 1, "object": {"tensor": "a"}}', ("a", "b"), "not in the structure"),
    "unknown tag": ('{"version": 1, "object": {"set": []}}', (), "unknown tag"),
    "bad pair": ('{"version": 1, "object": {"dict": [[1]]}}', (), "pair"),
    "duplicate key": ('{"version": 1, "object": {"dict": [[1, 2], [1, 3]]}}', (), "duplicate"),
    "bad float": ('{"version": 1, "object": {"float": "big"}}', (), "'float' must be"),
    "list key": ('{"version": 1, "object": {"dict": [[{"list": []}, 3]]}}', (), "key must be a scalar"),
}


@pytest.mark.parametrize("case", sorted(BAD_STRUCTURES))
def test_corrupt_checkpoint_structures_raise_value_error(tmp_path, case):
    structure, tensors, match = BAD_STRUCTURES[case]
    path = checkpoint_file(tmp_path / "bad.pt", structure, tensors)
    with pytest.raises(ValueError, match=match):
        fn.load(path)


def test_deeply_nested_header_raises_value_error(tmp_path):
    path = write_raw(tmp_path / "bad.safetensors", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(ValueError, match="nested deeper"):
        fn.load(path)


def test_safetensors_torch_reads_our_checkpoints_and_we_read_its_files(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    original, _, _ = checkpoint()
    fn.save(original, tmp_path / "ckpt.safetensors")
    theirs = safetensors_torch.load_file(str(tmp_path / "ckpt.safetensors"))
    np.testing.assert_array_equal(theirs["model.0.weight"].numpy(), original["model"]["0.weight"].numpy())
    np.testing.assert_array_equal(theirs["optimizer.state.1.exp_avg"].numpy(),
                                  original["optimizer"]["state"][1]["exp_avg"].numpy())
    weights = {"w": torch.randn(3, 2), "b": torch.arange(4)}
    safetensors_torch.save_file(weights, str(tmp_path / "torch.safetensors"))
    loaded = fn.load(tmp_path / "torch.safetensors")
    for name, value in weights.items():
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy())
