"""fastnn.datasets: the IDX reader, MNIST/FashionMNIST lookup and (mocked) download, the bundled
sample, and the full Fashion-MNIST when it is installed (always in CI). No test touches the network."""
import functools
import gzip
import hashlib
import struct
import urllib.error

import numpy as np
import pytest

import fastnn as fn
from conftest import real_data_required
from fastnn.data import DataLoader, TensorDataset, ToTensor
from fastnn.datasets import (MNIST, DatasetNotFoundError, FashionMNIST, download, fashion_mnist_sample,
                             load_fashion_mnist, mnist, read_idx, write_idx)
from helpers import rng

REAL_FETCH_URL = download.fetch_url  # kept before the autouse fixture below replaces it


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(url, timeout=None):
        raise AssertionError(f"a test tried to fetch {url}")

    monkeypatch.setattr(download, "fetch_url", refuse)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No FASTNN_DATA, an empty home (cache) and an empty system data directory."""
    monkeypatch.delenv("FASTNN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    return tmp_path


def idx_bytes(code, shape, payload):
    """An IDX file built by hand, independently of write_idx."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


# --------------------------------------------------------------------------------------- IDX
@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_hand_written_files(tmp_path, dtype, code, compressed):
    values = (rng(1).uniform(-100, 100, size=(3, 5, 2)) if np.dtype(dtype).kind == "f"
              else rng(1).integers(np.iinfo(dtype).min, np.iinfo(dtype).max, size=(3, 5, 2))).astype(dtype)
    raw = idx_bytes(code, values.shape, values.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
    path = tmp_path / ("x.idx.gz" if compressed else "x.idx")
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    got = read_idx(path)
    assert got.dtype == dtype and got.dtype.isnative and got.shape == (3, 5, 2)
    np.testing.assert_array_equal(got, values)
    write_idx(tmp_path / ("y.gz" if compressed else "y"), values)
    np.testing.assert_array_equal(read_idx(tmp_path / ("y.gz" if compressed else "y")), values)


CORRUPT_IDX = {
    "too short": (b"\x00\x00", "too short"),
    "bad magic": (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
    "unknown dtype": (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "dtype code 0x07"),
    "no dimensions": (b"\x00\x00\x08\x00\x05", "0 dimensions"),
    "truncated header": (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
    "too few values": (idx_bytes(0x08, (2, 3), bytes(5)), "should have 18 bytes"),
    "too many values": (idx_bytes(0x08, (2, 3), bytes(7)), "should have 18 bytes"),
    "wrong itemsize": (idx_bytes(0x0C, (2,), bytes(6)), "int32"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_IDX))
@pytest.mark.parametrize("compressed", [False, True])
def test_read_idx_rejects_corrupt_files(tmp_path, case, compressed):
    raw, message = CORRUPT_IDX[case]
    path = tmp_path / "bad"
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    with pytest.raises(ValueError, match=message):
        read_idx(path)


def test_read_idx_rejects_broken_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (100,), bytes(range(100))))[:-12])
    with pytest.raises(ValueError, match="corrupt gzip"):
        read_idx(path)


# ------------------------------------------------------------------------ MNIST-like datasets
def fake_split(n=12, seed=0):
    images = rng(seed).integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = (np.arange(n) * 7 % 10).astype(np.uint8)
    return images, labels


def write_split(directory, train=True, n=12, seed=0, compressed=True):
    directory.mkdir(parents=True, exist_ok=True)
    images, labels = fake_split(n, seed)
    split = "train" if train else "t10k"
    suffix = ".gz" if compressed else ""
    write_idx(directory / f"{split}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{split}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


def test_dataset_interface_on_small_files(isolated):
    images, labels = write_split(isolated / "root" / "mnist", train=False, n=9, compressed=False)
    ds = MNIST(root=isolated / "root", train=False, download=False)
    assert len(ds) == 9 and ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data, images)
    image, target = ds[4]
    assert isinstance(target, int) and target == labels[4]
    np.testing.assert_array_equal(image, images[4])
    ds = MNIST(root=isolated / "root", train=False, download=False, transform=ToTensor(),
               target_transform=lambda t: t + 100)
    image, target = ds[4]
    assert isinstance(image, fn.Tensor) and image.shape == (1, 28, 28) and target == labels[4] + 100
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.dtype == np.int64
    assert MNIST.classes[0] == "0 - zero" and ds.class_to_idx["9 - nine"] == 9


def test_search_order(isolated, monkeypatch):
    home_images, _ = write_split(isolated / "home" / ".cache" / "fastnn" / "fashion-mnist", seed=1)
    system_images, _ = write_split(isolated / "system" / "fashion-mnist", seed=2)
    env_images, _ = write_split(isolated / "env" / "fashion-mnist", seed=3)
    root_images, _ = write_split(isolated / "root", seed=4)  # files directly in root
    np.testing.assert_array_equal(FashionMNIST(download=False).data, home_images)
    monkeypatch.setenv("FASTNN_DATA", str(isolated / "env"))
    np.testing.assert_array_equal(FashionMNIST(download=False).data, env_images)
    np.testing.assert_array_equal(FashionMNIST(root=isolated / "root", download=False).data, root_images)
    nested_images, _ = write_split(isolated / "root" / "fashion-mnist", seed=5)
    np.testing.assert_array_equal(FashionMNIST(root=isolated / "root", download=False).data, nested_images)
    monkeypatch.delenv("FASTNN_DATA")
    (isolated / "home" / ".cache" / "fastnn" / "fashion-mnist" / "train-images-idx3-ubyte.gz").unlink()
    np.testing.assert_array_equal(FashionMNIST(download=False).data, system_images)


def test_not_found_without_download_says_how_to_get_the_data(isolated):
    with pytest.raises(DatasetNotFoundError) as info:
        FashionMNIST(download=False)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message and "FASTNN_DATA" in message
    assert str(isolated / "system" / "fashion-mnist") in message and "download=False" in message
    assert isinstance(info.value, FileNotFoundError)


def fake_server(monkeypatch, files, fail_urls=()):
    """Replaces the network with `files` (file name -> bytes); records the requested URLs."""
    requested = []

    def fetch(url, timeout=None):
        requested.append(url)
        if any(url.startswith(prefix) for prefix in fail_urls):
            raise urllib.error.URLError("no route to host")
        return files[url.rsplit("/", 1)[1]]

    monkeypatch.setattr(download, "fetch_url", fetch)
    return requested


def gz_split(train=True, n=12, seed=0):
    images, labels = fake_split(n, seed)
    split = "train" if train else "t10k"
    files = {f"{split}-images-idx3-ubyte.gz": gzip.compress(idx_bytes(0x08, images.shape, images.tobytes())),
             f"{split}-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(0x08, labels.shape, labels.tobytes()))}
    return files, images


def test_download_verifies_checksum_caches_and_falls_back_to_the_next_mirror(isolated, monkeypatch):
    files, images = gz_split(train=False)
    monkeypatch.setattr(MNIST, "md5", {name: hashlib.md5(data).hexdigest() for name, data in files.items()})
    monkeypatch.setattr(MNIST, "mirrors", ("https://down.example/", "https://up.example/"))
    requested = fake_server(monkeypatch, files, fail_urls=("https://down.example/",))
    ds = MNIST(train=False)
    np.testing.assert_array_equal(ds.data, images)
    cache = isolated / "home" / ".cache" / "fastnn" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(files)
    assert len(requested) == 4
    MNIST(train=False)  # now cached: no further requests
    assert len(requested) == 4


def test_download_into_root_when_given(isolated, monkeypatch):
    files, _ = gz_split(train=True)
    monkeypatch.setattr(MNIST, "md5", {name: hashlib.md5(data).hexdigest() for name, data in files.items()})
    fake_server(monkeypatch, files)
    MNIST(root=isolated / "mine")
    assert sorted(p.name for p in (isolated / "mine" / "mnist").iterdir()) == sorted(files)


def test_download_with_wrong_checksum_is_refused(isolated, monkeypatch):
    files, _ = gz_split()
    fake_server(monkeypatch, files)  # MNIST.md5 holds the published sums, which these fake files miss
    with pytest.raises(DatasetNotFoundError, match="MD5"):
        MNIST()
    assert not (isolated / "home" / ".cache" / "fastnn" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_offline_error_names_the_remedy(isolated, monkeypatch):
    fake_server(monkeypatch, {}, fail_urls=("https://",))
    with pytest.raises(DatasetNotFoundError, match="download failed.*no route to host.*apt-get install"):
        FashionMNIST()


def test_only_https_is_fetched():
    with pytest.raises(ValueError, match="only https"):
        REAL_FETCH_URL("http://fashion-mnist.example/train-images-idx3-ubyte.gz")  # refused before any I/O


def test_dataset_files_with_wrong_shapes_are_refused(isolated):
    directory = isolated / "root"
    directory.mkdir()
    write_idx(directory / "train-images-idx3-ubyte", np.zeros((3, 28, 27), np.uint8))
    write_idx(directory / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match=r"\[N, 28, 28\]"):
        MNIST(root=directory, download=False)
    write_idx(directory / "train-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(directory / "train-labels-idx1-ubyte", np.array([1, 2, 10], np.uint8))
    with pytest.raises(ValueError, match="out of range"):
        MNIST(root=directory, download=False)


# --------------------------------------------------------------------------- the bundled sample
@pytest.mark.parametrize("train,per_class", [(True, 600), (False, 100)])
def test_bundled_sample_shapes_and_class_balance(train, per_class):
    ds = fashion_mnist_sample(train=train)
    assert isinstance(ds, FashionMNIST) and len(ds) == 10 * per_class
    assert ds.data.shape == (10 * per_class, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(ds.targets, minlength=10), [per_class] * 10)
    assert 50 < ds.data.mean() < 100  # Fashion-MNIST's mean pixel is about 73
    assert ds.classes[9] == "Ankle boot"


def test_load_fashion_mnist_sample_tensors():
    x, y = load_fashion_mnist(train=False, sample=True)
    assert x.shape == (1000, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    flat, _ = load_fashion_mnist(train=False, sample=True, flatten=True)
    assert flat.shape == (1000, 784)
    np.testing.assert_array_equal(flat.numpy(), x.numpy().reshape(1000, 784))


# ---------------------------------------------------------------------- the full Fashion-MNIST
@functools.lru_cache(maxsize=None)  # reading the 26 MB of gzip costs about a second: once per split
def _read_full_fashion_mnist(train):
    return FashionMNIST(train=train, download=False)


def full_fashion_mnist(train):
    try:
        return _read_full_fashion_mnist(train)
    except DatasetNotFoundError as error:
        if real_data_required():
            pytest.fail(f"CI=true: real-data tests must run, but Fashion-MNIST is missing: {error}")
        pytest.skip("the full Fashion-MNIST is not installed: `sudo apt-get install dataset-fashion-mnist` "
                    "or put its files in $FASTNN_DATA/fashion-mnist")


@pytest.mark.parametrize("train,n", [(True, 60000), (False, 10000)])
def test_full_fashion_mnist(train, n):
    ds = full_fashion_mnist(train)
    assert ds.data.shape == (n, 28, 28) and ds.targets.shape == (n,)
    np.testing.assert_array_equal(np.bincount(ds.targets, minlength=10), [n // 10] * 10)
    assert abs(ds.data.mean() / 255 - 0.286) < 0.003  # the published mean of Fashion-MNIST


def test_bundled_sample_is_a_subset_of_the_full_dataset():
    full = full_fashion_mnist(train=False)
    sample = fashion_mnist_sample(train=False)
    rows = {image.tobytes(): label for image, label in zip(full.data, full.targets)}
    assert all(rows.get(image.tobytes()) == label for image, label in zip(sample.data, sample.targets))


def test_full_fashion_mnist_epoch_through_the_loader():
    ds = full_fashion_mnist(train=True)
    loader = DataLoader(TensorDataset(ds.data, ds.targets), batch_size=128, shuffle=True, generator=fn.Generator(0))
    seen = np.zeros(10, dtype=np.int64)
    for xb, yb in loader:
        assert xb.shape[1:] == (28, 28) and xb.dtype == np.uint8
        seen += np.bincount(yb.numpy(), minlength=10)
    assert len(loader) == 469 and seen.tolist() == [6000] * 10
