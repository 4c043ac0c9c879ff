"""DataLoader: iterates a dataset in (optionally shuffled) batches, like torch.utils.data.DataLoader."""
import numpy as np

from fastnn.data.collate import default_collate
from fastnn.data.dataset import Subset, TensorDataset
from fastnn.random import Generator, generator_or_default


def _batch_gatherer(dataset):
    """A function indices -> collated batch that slices whole batches at once, or None.

    Applies to a TensorDataset, possibly inside Subsets (e.g. from random_split), whose
    __getitem__ is not overridden: then a batch is one fancy-indexing copy per tensor instead of
    len(batch) item lookups and a stack, which is what makes an epoch cost milliseconds.
    """
    index_map = None
    while isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        indices = np.asarray(dataset.indices, dtype=np.int64)
        index_map = indices if index_map is None else indices[index_map]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or type(dataset).__getitem__ is not TensorDataset.__getitem__:
        return None
    if index_map is None:
        return dataset._gather
    return lambda batch: dataset._gather(index_map[batch])


class DataLoader:
    """Batches of `dataset`: shuffled anew each epoch when shuffle=True, from `generator` (default:
    fastnn's default generator, so fn.manual_seed makes the epochs reproducible)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False, collate_fn=None, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle should be a bool, got {type(shuffle).__name__}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be a fastnn.Generator or None, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn should be callable or None, got {type(collate_fn).__name__}")
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"dataset should define __getitem__ and __len__, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = generator_or_default(self.generator).numpy.permutation(n)
        else:
            order = np.arange(n)
        gather = _batch_gatherer(self.dataset) if self.collate_fn is default_collate else None
        end = n - n % self.batch_size if self.drop_last else n
        for start in range(0, end, self.batch_size):
            batch = order[start:start + self.batch_size]
            if gather is not None:
                yield gather(batch)
            else:
                yield self.collate_fn([self.dataset[i] for i in batch.tolist()])
