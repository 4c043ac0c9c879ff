"""Map-style datasets, like torch.utils.data: Dataset, TensorDataset, Subset."""
from fastnn import _backend
from fastnn.creation import as_tensor
from fastnn.tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses define __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _take(tensor, indices):
    """Rows `indices` of `tensor` as a new tensor: one fancy-indexing copy, differentiable when needed."""
    if tensor.requires_grad:
        return tensor[indices]
    return Tensor._wrap(tensor._data[_backend.xp_for(tensor._data).asarray(indices)])  # indices on its device


class TensorDataset(Dataset):
    """Sample i is the tuple (t[i] for t in tensors); Tensors or arrays with one first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(as_tensor(t) for t in tensors)
        for position, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is 0-d; every tensor needs a first (sample) dimension")
        sizes = [t.shape[0] for t in tensors]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}, expected all equal")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _gather(self, indices):
        """The collated batch of samples `indices` (an int64 array), without per-sample work.

        Equal to default_collate([self[i] for i in indices]) (a list, as PyTorch collates tuples).
        """
        return [_take(t, indices) for t in self.tensors]


class Subset(Dataset):
    """The samples `indices` of `dataset`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)
