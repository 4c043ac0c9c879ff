"""fastnn.data: datasets, DataLoader, collate, splits, KFold, StandardScaler, transforms."""
import collections

import numpy as np
import pytest

import fastnn as fn
from fastnn.data import (Compose, DataLoader, Dataset, KFold, Normalize, RandomCrop, RandomHorizontalFlip,
                         StandardScaler, Subset, TensorDataset, ToTensor, default_collate, random_split,
                         train_val_test_split)
from helpers import random_array


class ListDataset(Dataset):
    """Samples from a list, fetched one at a time (the DataLoader's general path)."""

    def __init__(self, samples):
        self.samples = samples

    def __getitem__(self, index):
        return self.samples[index]

    def __len__(self):
        return len(self.samples)


def batches(loader):
    return [[np.asarray(part) for part in batch] for batch in loader]


def assert_same_batches(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_items_and_length():
    x, y = random_array((7, 3)), np.arange(7)
    ds = TensorDataset(x, y)
    assert len(ds) == 7
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), x[4])
    assert int(yi) == 4


def test_tensor_dataset_rejects_mismatched_first_dims():
    with pytest.raises(ValueError, match=r"\[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError):
        TensorDataset()


# ---------------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("n,batch_size,drop_last", [(17, 5, False), (17, 5, True), (20, 5, True), (3, 7, True),
                                                    (3, 7, False), (1, 1, False)])
def test_loader_length_and_batch_shapes(n, batch_size, drop_last):
    x, y = random_array((n, 2, 3)), np.arange(n)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    got = batches(loader)
    expected_sizes = [batch_size] * (n // batch_size)
    if not drop_last and n % batch_size:
        expected_sizes.append(n % batch_size)
    assert len(loader) == len(got) == len(expected_sizes)
    assert [len(b[0]) for b in got] == expected_sizes
    for xb, yb in got:
        assert xb.shape[1:] == (2, 3) and xb.dtype == np.float32 and yb.dtype == np.int64
    if not drop_last:
        np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), x)


def test_loader_shuffle_is_a_permutation_reproducible_with_manual_seed():
    n = 53
    x, y = random_array((n, 4)), np.arange(n)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    fn.manual_seed(123)
    epoch1, epoch2 = batches(loader), batches(loader)
    fn.manual_seed(123)
    assert_same_batches(batches(loader), epoch1)
    order1 = np.concatenate([b[1] for b in epoch1])
    order2 = np.concatenate([b[1] for b in epoch2])
    assert sorted(order1.tolist()) == list(range(n))
    assert not np.array_equal(order1, order2), "each epoch must draw a new order"
    for xb, yb in epoch1:
        np.testing.assert_array_equal(xb, x[yb])


def test_loader_explicit_generator():
    ds = TensorDataset(np.arange(30))
    first = batches(DataLoader(ds, batch_size=4, shuffle=True, generator=fn.Generator(7)))
    fn.manual_seed(99)  # the default generator must not matter
    assert_same_batches(batches(DataLoader(ds, batch_size=4, shuffle=True, generator=fn.Generator(7))), first)


def test_fast_path_equals_item_by_item_collation():
    """The whole-batch path of TensorDataset (and Subsets of it) must give exactly what collating
    the samples one by one gives."""
    x, y = random_array((41, 3, 2), dtype=np.float64), np.arange(41)
    ds = TensorDataset(x, y)
    subset = Subset(Subset(ds, list(range(40, 0, -2))), [3, 0, 7, 7, 1, 19])
    for dataset in (ds, subset):
        fast = DataLoader(dataset, batch_size=4, shuffle=True, generator=fn.Generator(5))
        slow = DataLoader(dataset, batch_size=4, shuffle=True, generator=fn.Generator(5),
                          collate_fn=lambda samples: default_collate(samples))
        fast_batches, slow_batches = list(fast), list(slow)
        assert all(isinstance(b, list) for b in fast_batches + slow_batches)
        assert_same_batches(batches(fast_batches), batches(slow_batches))


def test_fast_path_keeps_the_graph_of_tensors_that_require_grad():
    weights = fn.tensor(random_array((6, 2)), requires_grad=True)
    (batch,) = next(iter(DataLoader(TensorDataset(weights), batch_size=4)))
    batch.sum().backward()
    np.testing.assert_array_equal(weights.grad.numpy(), [[1, 1]] * 4 + [[0, 0]] * 2)


def test_overridden_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            return tuple(2 * t for t in super().__getitem__(index))

    x = random_array((5, 3))
    (batch,) = next(iter(DataLoader(Doubled(x), batch_size=5)))
    np.testing.assert_allclose(batch.numpy(), 2 * x)
    (batch,) = next(iter(DataLoader(Subset(Doubled(x), [4, 0]), batch_size=2)))
    np.testing.assert_allclose(batch.numpy(), 2 * x[[4, 0]])


def test_loader_general_path_with_custom_collate():
    ds = ListDataset([(i, float(i) / 2) for i in range(10)])
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda samples: [s[0] for s in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("kwargs,error", [({"batch_size": 0}, ValueError), ({"batch_size": 2.5}, ValueError),
                                          ({"batch_size": True}, ValueError), ({"shuffle": "yes"}, TypeError),
                                          ({"generator": np.random.default_rng(0)}, TypeError),
                                          ({"collate_fn": 3}, TypeError)])
def test_loader_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        DataLoader(TensorDataset(np.arange(4)), **kwargs)


# ------------------------------------------------------------------------------------- collate
def test_collate_tensors_arrays_numbers():
    batch = default_collate([random_array((2, 3), seed=i) for i in range(4)])
    assert isinstance(batch, fn.Tensor) and batch.shape == (4, 2, 3)
    assert default_collate([1, 2, 3]).dtype == np.int64
    assert default_collate([1.5, 2.0]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_collate(["a", "b"]) == ["a", "b"]
    stacked = default_collate([fn.tensor([1.0, 2.0]), fn.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(stacked.numpy(), [[1, 2], [3, 4]])


def test_collate_tuples_dicts_namedtuples():
    samples = [(random_array(3, seed=i), i, {"w": float(i), "name": f"s{i}"}) for i in range(5)]
    x, y, extra = default_collate(samples)
    assert x.shape == (5, 3) and y.tolist() == [0, 1, 2, 3, 4]
    assert extra["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and extra["name"] == [f"s{i}" for i in range(5)]
    assert isinstance(default_collate([(1, 2), (3, 4)]), list)  # tuples become lists, as in PyTorch
    Point = collections.namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3] and point.y.dtype == np.float64
    ordered = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert isinstance(ordered, collections.OrderedDict) and list(ordered) == ["b", "a"]


def test_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_loader_collates_dict_samples():
    ds = ListDataset([{"x": random_array(2, seed=i), "y": i} for i in range(6)])
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch["x"].shape == (4, 2) and batch["y"].tolist() == [0, 1, 2, 3]


# -------------------------------------------------------------------------------------- splits
def test_random_split_counts_and_fractions_partition_the_dataset():
    ds = TensorDataset(np.arange(23))
    for lengths, sizes in (([10, 13], [10, 13]), ([0.5, 0.3, 0.2], [12, 7, 4]), ([0.1, 0.9], [3, 20])):
        parts = random_split(ds, lengths, generator=fn.Generator(1))
        assert [len(p) for p in parts] == sizes
        everything = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
        assert everything == list(range(23))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [10, 10])
    with pytest.raises(ValueError):
        random_split(ds, [24, -1])


def test_random_split_reproducible_and_warns_on_empty_part():
    ds = TensorDataset(np.arange(10))
    first = random_split(ds, [3, 7], generator=fn.Generator(4))
    second = random_split(ds, [3, 7], generator=fn.Generator(4))
    assert [p.indices for p in first] == [p.indices for p in second]
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(TensorDataset(np.arange(2)), [0.5, 0.0, 0.5])


def test_train_val_test_split_arrays():
    x, y = random_array((50, 3)), np.arange(50)
    x_tr, x_va, x_te, y_tr, y_va, y_te = train_val_test_split(x, y, val_size=0.2, test_size=7, seed=3)
    assert (len(y_tr), len(y_va), len(y_te)) == (33, 10, 7)
    all_labels = np.concatenate([y_tr, y_va, y_te])
    assert sorted(all_labels.tolist()) == list(range(50)) and not np.array_equal(all_labels, np.arange(50))
    for xs, ys in ((x_tr, y_tr), (x_va, y_va), (x_te, y_te)):
        np.testing.assert_array_equal(xs, x[ys])
    again = train_val_test_split(x, y, val_size=0.2, test_size=7, seed=3)
    np.testing.assert_array_equal(again[3], y_tr)


def test_train_val_test_split_without_shuffle_tensors_lists_and_datasets():
    t, labels = fn.arange(10), list("abcdefghij")
    t_tr, t_va, t_te, l_tr, l_va, l_te = train_val_test_split(t, labels, val_size=0.2, test_size=0.3, shuffle=False)
    assert isinstance(t_tr, fn.Tensor)
    assert t_tr.tolist() == [0, 1, 2, 3, 4] and t_va.tolist() == [5, 6] and t_te.tolist() == [7, 8, 9]
    assert l_te == ["h", "i", "j"]
    train, val, test = train_val_test_split(TensorDataset(np.arange(10)), val_size=2, test_size=3)
    assert isinstance(train, Subset) and (len(train), len(val), len(test)) == (5, 2, 3)
    assert sorted(train.indices + val.indices + test.indices) == list(range(10))


@pytest.mark.parametrize("kwargs", [{"val_size": 0.5, "test_size": 0.5}, {"val_size": 1.5, "test_size": 0.1},
                                    {"val_size": 11, "test_size": 0}, {"val_size": 0.1, "test_size": 0.1,
                                                                       "shuffle": False, "seed": 1}])
def test_train_val_test_split_errors(kwargs):
    with pytest.raises(ValueError):
        train_val_test_split(np.arange(10), **kwargs)
    with pytest.raises(ValueError, match="same number of samples"):
        train_val_test_split(np.arange(10), np.arange(9), val_size=1, test_size=1)


# --------------------------------------------------------------------------------------- KFold
@pytest.mark.parametrize("n,k,shuffle", [(10, 5, False), (17, 4, False), (17, 4, True), (7, 7, True)])
def test_kfold_partitions(n, k, shuffle):
    folds = list(KFold(k, shuffle=shuffle, seed=0 if shuffle else None).split(n))
    assert len(folds) == k
    val_all = np.concatenate([val for _, val in folds])
    assert sorted(val_all.tolist()) == list(range(n))
    sizes = [len(val) for _, val in folds]
    assert sizes == [n // k + 1] * (n % k) + [n // k] * (k - n % k)  # sklearn's fold sizes
    for train, val in folds:
        assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == n
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    if not shuffle:
        np.testing.assert_array_equal(folds[0][1], np.arange(sizes[0]))


def test_kfold_seed_and_dataset_argument():
    ds = TensorDataset(np.arange(12))
    a = [val.tolist() for _, val in KFold(3, shuffle=True, seed=5).split(ds)]
    b = [val.tolist() for _, val in KFold(3, shuffle=True, seed=5).split(12)]
    assert a == b and a != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_kfold_errors():
    with pytest.raises(ValueError, match="n_splits=2 or more"):
        KFold(1)
    with pytest.raises(ValueError, match="no effect"):
        KFold(3, seed=1)
    with pytest.raises(ValueError, match="greater than the number of samples"):
        list(KFold(5).split(4))


# ------------------------------------------------------------------------------ StandardScaler
def test_standard_scaler_matches_numpy(dtype):
    x = random_array((37, 5), dtype=dtype, low=-3, high=10)
    x[:, 2] = 4.25  # a constant feature: scale 1, maps to 0
    scaler = StandardScaler().fit(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(scaler.mean_, x64.mean(axis=0), rtol=1e-12)
    expected_scale = x64.std(axis=0)
    expected_scale[2] = 1.0
    np.testing.assert_allclose(scaler.scale_, expected_scale, rtol=1e-12)
    z = scaler.transform(x)
    assert z.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(z, (x64 - x64.mean(0)) / expected_scale, rtol=tol, atol=tol)
    np.testing.assert_allclose(z[:, 2], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(z), x, rtol=tol, atol=tol)


def test_standard_scaler_tensors_and_errors():
    x = fn.tensor(random_array((20, 2, 3), low=1, high=5))
    z = StandardScaler().fit_transform(x)
    assert isinstance(z, fn.Tensor) and z.shape == (20, 2, 3)
    np.testing.assert_allclose(z.numpy().mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(z.numpy().std(0), 1.0, rtol=1e-5)
    ints = StandardScaler().fit_transform(np.arange(6).reshape(3, 2))
    assert ints.dtype == np.float64
    with pytest.raises(RuntimeError, match="not fitted"):
        StandardScaler().transform(np.ones((2, 2)))
    with pytest.raises(ValueError, match="feature shape"):
        StandardScaler().fit(np.ones((3, 2))).transform(np.ones((3, 4)))


# ---------------------------------------------------------------------------------- transforms
def test_normalize_per_channel_on_arrays_and_tensors():
    image = random_array((3, 4, 5), dtype=np.float64)
    mean, std = [0.1, 0.2, 0.3], [0.5, 2.0, 4.0]
    expected = (image - np.reshape(mean, (3, 1, 1))) / np.reshape(std, (3, 1, 1))
    np.testing.assert_allclose(Normalize(mean, std)(image), expected, rtol=1e-12)
    batch = fn.tensor(np.stack([image, 2 * image]))
    out = Normalize(mean, std)(batch)
    assert isinstance(out, fn.Tensor)
    np.testing.assert_allclose(out.numpy()[1], (2 * image - np.reshape(mean, (3, 1, 1))) / np.reshape(std, (3, 1, 1)))
    with pytest.raises(ValueError, match="division by zero"):
        Normalize([0.0], [0.0])(image)
    with pytest.raises(ValueError, match="C, H, W"):
        Normalize([0.0], [1.0])(image[0])


def test_random_horizontal_flip():
    image = random_array((2, 3, 4))
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(image), image[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(image), image)
    fn.manual_seed(0)
    flips = [np.array_equal(RandomHorizontalFlip()(image), image[..., ::-1]) for _ in range(200)]
    assert 60 < sum(flips) < 140
    out = RandomHorizontalFlip(p=1.0)(fn.tensor(image))
    assert isinstance(out, fn.Tensor) and np.array_equal(out.numpy(), image[..., ::-1])


def test_random_crop_windows_padding_and_reproducibility():
    image = random_array((1, 2, 6, 7))
    padded = np.pad(image, [(0, 0), (0, 0), (2, 2), (2, 2)])
    fn.manual_seed(11)
    crops = [RandomCrop(5, padding=2)(image) for _ in range(30)]
    for crop in crops:
        assert crop.shape == (1, 2, 5, 5)
        windows = [padded[..., i:i + 5, j:j + 5] for i in range(6) for j in range(7)]
        assert any(np.array_equal(crop, w) for w in windows)
    assert len({c.tobytes() for c in crops}) > 5
    fn.manual_seed(11)
    np.testing.assert_array_equal(RandomCrop(5, padding=2)(image), crops[0])
    np.testing.assert_array_equal(RandomCrop((6, 7))(image), image)
    edge = RandomCrop((10, 11), padding=2, padding_mode="edge")(image)
    np.testing.assert_array_equal(edge, np.pad(image, [(0, 0), (0, 0), (2, 2), (2, 2)], mode="edge"))
    assert RandomCrop(9, pad_if_needed=True)(image[0]).shape == (2, 9, 9)
    with pytest.raises(ValueError, match="larger than input image size"):
        RandomCrop(8)(image)


def test_compose_to_tensor_pipeline():
    image = (random_array((28, 28), low=0, high=255)).astype(np.uint8)
    pipeline = Compose([ToTensor(), Normalize([0.5], [0.25])])
    out = pipeline(image)
    assert isinstance(out, fn.Tensor) and out.shape == (1, 28, 28) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], (image / 255.0 - 0.5) / 0.25, rtol=1e-5, atol=1e-5)
    assert "Normalize" in repr(pipeline)
