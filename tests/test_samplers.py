"""fastnn.data samplers (Sequential, Random, SubsetRandom, WeightedRandom, Batch) and the
DataLoader's sampler / batch_sampler / batch_size=None options, compared with torch.utils.data
where the result is deterministic (random streams differ: fastnn draws from its own Generator, so
only the distributions and the invariants are compared there)."""
import collections

import numpy as np
import pytest

import fastnn as fn
from fastnn.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
                         SequentialSampler, SubsetRandomSampler, TensorDataset, WeightedRandomSampler)


class Squares(Dataset):
    def __len__(self):
        return 11

    def __getitem__(self, index):
        return {"x": np.array([index, index * index]), "i": index}


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(5))

    def __len__(self):
        return 5


def as_lists(batches):
    """Batches of tensors (fastnn or torch), dicts or numbers as nested Python lists."""
    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return np.asarray(value).tolist()
    return [plain(batch) for batch in batches]


def raised(make):
    try:
        make()
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error), str(error)
    return None


# ------------------------------------------------------------------------------------ samplers
def test_sampler_is_the_base_class_and_needs_iter():
    assert all(issubclass(cls, Sampler) for cls in (SequentialSampler, RandomSampler, SubsetRandomSampler,
                                                    WeightedRandomSampler, BatchSampler))
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())

    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    assert as_lists(DataLoader(range(10), batch_size=2, sampler=Evens(10))) == [[0, 2], [4, 6], [8]]


def test_sequential_and_batch_samplers_equal_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True),
                                     (0, 2, False)]:
        ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
        theirs = torch_data.BatchSampler(torch_data.SequentialSampler(range(n)), batch_size, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(BatchSampler([5, 3, 8, 1], 3, False)) == [[5, 3, 8], [1]]  # any iterable of indices


@pytest.mark.parametrize("args", [(0, False), (-1, False), (2.0, False), (True, False), (None, False), (3, 1),
                                  (3, None)])
def test_batch_sampler_errors_equal_torch(args):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = raised(lambda: BatchSampler(range(4), *args))
    assert ours is not None and ours == raised(lambda: torch_data.BatchSampler(range(4), *args))


def test_random_sampler_permutations_and_reproducibility():
    sampler = RandomSampler(range(7), generator=fn.Generator(3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(7)) and first != second and len(sampler) == 7
    assert list(RandomSampler(range(7), generator=fn.Generator(3))) == first
    fn.manual_seed(5)
    default = list(RandomSampler(range(7)))
    fn.manual_seed(5)
    assert list(RandomSampler(range(7))) == default
    # num_samples beyond the dataset: whole permutations one after the other, the last one cut
    longer = list(RandomSampler(range(4), num_samples=10, generator=fn.Generator(1)))
    assert len(longer) == 10 and sorted(longer[:4]) == sorted(longer[4:8]) == [0, 1, 2, 3]
    assert len(set(longer[8:])) == 2
    assert len(list(RandomSampler(range(4), num_samples=3))) == 3


def test_random_sampler_with_replacement_is_uniform():
    torch_data = pytest.importorskip("torch.utils.data")
    ours = RandomSampler(range(5), replacement=True, num_samples=20000, generator=fn.Generator(0))
    theirs = torch_data.RandomSampler(range(5), replacement=True, num_samples=20000)
    for sampler in (ours, theirs):
        drawn = list(sampler)
        assert len(drawn) == len(sampler) == 20000 and set(drawn) == set(range(5))
        np.testing.assert_allclose(np.bincount(drawn) / 20000, 0.2, atol=0.015)


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"replacement": None}, {"num_samples": 0},
                                    {"num_samples": -3}, {"num_samples": 2.5}, {"num_samples": "4"}])
def test_random_sampler_errors_equal_torch(kwargs):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = raised(lambda: RandomSampler(range(4), **kwargs))
    assert ours is not None and ours == raised(lambda: torch_data.RandomSampler(range(4), **kwargs))


def test_subset_random_sampler():
    indices = [10, 4, 7, 7, 30]
    sampler = SubsetRandomSampler(indices, generator=fn.Generator(2))
    drawn = list(sampler)
    assert sorted(drawn) == sorted(indices) and len(sampler) == 5
    assert list(SubsetRandomSampler(indices, generator=fn.Generator(2))) == drawn
    orders = {tuple(sampler) for _ in range(30)}
    assert len(orders) > 10, "each iteration draws a new order"


def test_weighted_random_sampler_with_replacement_follows_the_weights():
    torch_data = pytest.importorskip("torch.utils.data")
    weights = [0.1, 0.0, 3.0, 0.9]
    expected = np.asarray(weights) / sum(weights)
    ours = WeightedRandomSampler(weights, 20000, generator=fn.Generator(0))
    theirs = torch_data.WeightedRandomSampler(weights, 20000)
    for sampler in (ours, theirs):
        drawn = list(sampler)
        assert len(drawn) == len(sampler) == 20000
        np.testing.assert_allclose(np.bincount(drawn, minlength=4) / 20000, expected, atol=0.015)
    assert list(WeightedRandomSampler(fn.tensor(weights), 50, generator=fn.Generator(4))) == \
        list(WeightedRandomSampler(np.asarray(weights), 50, generator=fn.Generator(4)))


def test_weighted_random_sampler_without_replacement():
    torch_data = pytest.importorskip("torch.utils.data")
    weights = [1.0, 0.0, 1.0, 100.0, 0.0]
    firsts = collections.Counter()
    for seed in range(300):
        drawn = list(WeightedRandomSampler(weights, 5, replacement=False, generator=fn.Generator(seed)))
        assert sorted(drawn) == [0, 1, 2, 3, 4] and set(drawn[3:]) == {1, 4}  # zero weights come last, as torch
        firsts[drawn[0]] += 1
    assert firsts[3] > 270  # weight 100 of 102
    assert set(list(torch_data.WeightedRandomSampler(weights, 5, replacement=False))[3:]) == {1, 4}
    # the probability of each of the first two of three equal-weight draws: 1/3 each
    counts = np.zeros(3)
    for seed in range(3000):
        counts[list(WeightedRandomSampler([1.0, 1.0, 1.0], 1, replacement=False, generator=fn.Generator(seed)))] += 1
    np.testing.assert_allclose(counts / 3000, 1 / 3, atol=0.04)


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], 2.0), ([1.0, 2.0], True), ([1.0, 2.0], 1, 1),
                                  ([[1.0, 2.0], [3.0, 4.0]], 1)])
def test_weighted_random_sampler_argument_errors_equal_torch(args):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = raised(lambda: WeightedRandomSampler(*args))
    assert ours is not None and ours == raised(lambda: torch_data.WeightedRandomSampler(*args))


@pytest.mark.parametrize("args", [([1.0, -1.0], 1), ([0.0, 0.0], 1), ([1.0, float("nan")], 1),
                                  ([1.0, float("inf")], 1), ([1.0, 1.0], 3, False)])
def test_weighted_random_sampler_distribution_errors_equal_torch(args):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = raised(lambda: list(WeightedRandomSampler(*args)))
    assert ours is not None and ours == raised(lambda: list(torch_data.WeightedRandomSampler(*args)))


# ------------------------------------------------------------------------------ the DataLoader
def test_loader_samplers_attributes_and_lengths():
    torch_data = pytest.importorskip("torch.utils.data")
    cases = [{}, {"shuffle": True}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None},
             {"batch_size": 3, "sampler": [4, 2, 9, 9, 0]}, {"batch_sampler": [[1, 2], [0], [5, 6, 7]]}]
    for kwargs in cases:
        ours, theirs = DataLoader(Squares(), **kwargs), torch_data.DataLoader(Squares(), **kwargs)
        assert len(ours) == len(theirs), kwargs
        assert type(ours.sampler).__name__ == type(theirs.sampler).__name__, kwargs
        assert type(ours.batch_sampler).__name__ == type(theirs.batch_sampler).__name__, kwargs
        assert (ours.batch_size, ours.drop_last) == (theirs.batch_size, theirs.drop_last), kwargs
        if not kwargs.get("shuffle"):
            assert as_lists(ours) == as_lists(theirs), kwargs
    loader = DataLoader(Squares(), batch_size=4)
    assert isinstance(loader.batch_sampler, BatchSampler) and loader.batch_sampler.sampler is loader.sampler
    assert isinstance(loader.sampler, SequentialSampler)
    stream = DataLoader(Stream(), batch_size=2)
    assert len(stream) == len(torch_data.DataLoader(Stream(), batch_size=2)) == 3
    assert len(DataLoader(Stream(), batch_size=None)) == 5


def test_loader_without_auto_batching_converts_samples_as_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    ours, theirs = list(DataLoader(Squares(), batch_size=None)), list(torch_data.DataLoader(Squares(), batch_size=None))
    assert isinstance(ours[0]["x"], fn.Tensor) and isinstance(ours[0]["i"], int)
    assert as_lists(ours) == as_lists(theirs)
    assert as_lists(DataLoader(Stream(), batch_size=None)) == list(range(5))
    pairs = DataLoader(TensorDataset(np.arange(6).reshape(3, 2)), batch_size=None, sampler=[2, 0])
    assert as_lists(pairs) == as_lists(torch_data.DataLoader(torch_data.TensorDataset(
        __import__("torch").arange(6).reshape(3, 2)), batch_size=None, sampler=[2, 0]))


def test_shuffle_keeps_drawing_the_permutation_of_the_generator():
    """shuffle=True is RandomSampler(dataset, generator=generator): one permutation of the
    generator per epoch, as before samplers existed (seeded runs stay the same)."""
    loader = DataLoader(TensorDataset(np.arange(23)), batch_size=5, shuffle=True, generator=fn.Generator(7))
    reference = fn.Generator(7).numpy
    for _ in range(2):
        order = np.concatenate([batch[0].numpy() for batch in loader])
        np.testing.assert_array_equal(order, reference.permutation(23))
    assert isinstance(loader.sampler, RandomSampler) and loader.sampler.generator is loader.generator


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2}, {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]}, {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True}, {"batch_size": 0}, {"batch_size": -2}, {"batch_size": 1.5},
])
def test_loader_option_errors_equal_torch(kwargs):
    torch_data = pytest.importorskip("torch.utils.data")
    ours = raised(lambda: DataLoader(Squares(), **kwargs))
    assert ours is not None and ours == raised(lambda: torch_data.DataLoader(Squares(), **kwargs))


@pytest.mark.parametrize("kwargs", [{"sampler": [0, 1]}, {"batch_sampler": [[0, 1]]}, {"shuffle": True}])
def test_iterable_dataset_rejects_samplers_as_torch(kwargs):
    torch_data = pytest.importorskip("torch.utils.data")

    class TorchStream(torch_data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    ours = raised(lambda: DataLoader(Stream(), **kwargs))
    theirs = raised(lambda: torch_data.DataLoader(TorchStream(), **kwargs))
    assert ours is not None and ours[0] == theirs[0] is ValueError
    assert ours[1].split(", but got")[0] == theirs[1].split(", but got")[0]  # then the repr of the argument


def test_loader_positional_arguments_follow_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    identity = lambda batch: batch  # noqa: E731
    args = (Squares(), None, False, [3, 1], None, 0, identity, False, False, 0, None, None, None)
    assert as_lists(DataLoader(*args)) == as_lists(torch_data.DataLoader(*args)) == as_lists([Squares()[3],
                                                                                              Squares()[1]])
    with pytest.raises(TypeError):
        DataLoader(*args, 2)  # prefetch_factor and later are keyword-only


def test_loader_options_are_fixed_after_init():
    loader = DataLoader(Squares(), batch_size=2)
    for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after DataLoader is initialized"):
            setattr(loader, name, None)
    loader.num_workers = 0  # the others may change, as in torch


@pytest.mark.parametrize("kwargs", [{"batch_size": 3, "sampler": RandomSampler(range(11), generator=fn.Generator(1))},
                                    {"batch_sampler": BatchSampler(SubsetRandomSampler([1, 5, 6, 8]), 3, False)},
                                    {"batch_size": None, "sampler": [7, 1, 7]},
                                    {"batch_size": 4, "sampler": WeightedRandomSampler([1.0] * 11, 9)}])
def test_worker_processes_load_the_sampled_batches(kwargs):
    """Workers receive the batch_sampler's index lists (or the sampler's indices without
    auto-batching): the same batches as in this process, for the same random stream."""
    def epochs(num_workers):
        fn.manual_seed(11)
        for sampler in (kwargs.get("sampler"), getattr(kwargs.get("batch_sampler"), "sampler", None)):
            if isinstance(sampler, (RandomSampler, SubsetRandomSampler, WeightedRandomSampler)):
                sampler.generator = fn.Generator(3)
        loader = DataLoader(Squares(), num_workers=num_workers, **kwargs)
        return [as_lists(loader) for _ in range(2)]

    assert epochs(2) == epochs(0)


def test_fit_sets_the_epoch_of_the_loader_sampler():
    class EpochSampler(SequentialSampler):
        epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    x, y = np.random.default_rng(0).normal(size=(12, 3)).astype(np.float32), np.arange(12) % 2
    dataset = TensorDataset(x, y)
    loader = DataLoader(dataset, batch_size=4, sampler=EpochSampler(dataset))
    model = fn.nn.Linear(3, 2)
    fn.fit(model, fn.nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), loader, epochs=3,
           progress=False)
    assert EpochSampler.epochs == [0, 1, 2]
