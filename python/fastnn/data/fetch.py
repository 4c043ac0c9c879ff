"""Turning the indices of one batch into the batch: the same code in the main process
(num_workers=0) and in every worker process."""
import numpy as np

from fastnn.data.collate import default_collate
from fastnn.data.dataset import Subset, TensorDataset


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


class MapFetcher:
    """fetch(indices) -> the collated samples dataset[i] for i in indices (a list or int64 array of
    one batch); without auto_collation (batch_size=None) fetch(index) -> collate_fn(dataset[index])."""

    def __init__(self, dataset, collate_fn, auto_collation=True):
        self.dataset, self.collate_fn, self.auto_collation = dataset, collate_fn, auto_collation
        self.gather = _batch_gatherer(dataset) if auto_collation and collate_fn is default_collate else None

    def fetch(self, indices):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.gather is not None:
            return self.gather(np.asarray(indices, dtype=np.int64))
        if isinstance(indices, np.ndarray):
            indices = indices.tolist()
        return self.collate_fn([self.dataset[i] for i in indices])


class IterableFetcher:
    """fetch() -> the next batch_size samples of iter(dataset), collated; StopIteration at the end
    (a last, shorter batch is dropped when drop_last). Without auto-batching (batch_size=None)
    fetch() -> collate_fn(the next sample)."""

    def __init__(self, dataset, collate_fn, batch_size, drop_last):
        self.iterator = iter(dataset)
        self.collate_fn, self.batch_size, self.drop_last = collate_fn, batch_size, drop_last

    def fetch(self, indices=None):
        if self.batch_size is None:
            return self.collate_fn(next(self.iterator))
        batch = []
        for sample in self.iterator:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)


def make_fetcher(dataset, iterable, auto_collation, collate_fn, batch_size, drop_last):
    """The fetcher of one epoch, in the main process (num_workers=0) or in a worker."""
    if iterable:
        return IterableFetcher(dataset, collate_fn, batch_size, drop_last)
    return MapFetcher(dataset, collate_fn, auto_collation)
