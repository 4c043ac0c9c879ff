"""ConcatDataset, ChainDataset, StackDataset, IterableDataset in the DataLoader (torch.utils.data)."""
import numpy as np
import pytest

from fastnn.data import (ChainDataset, ConcatDataset, DataLoader, IterableDataset, StackDataset, Subset,
                         TensorDataset)


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_concat_dataset_indexes_across_its_parts():
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 15))
    both = ConcatDataset([a, Subset(b, [4, 0])])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [int(both[i][0]) for i in range(5)] == [0, 1, 2, 14, 10]
    assert int(both[-1][0]) == 10 and int((a + b)[7][0]) == 14
    with pytest.raises(IndexError, match="out of range"):
        both[5]
    with pytest.raises(TypeError, match="ChainDataset"):
        ConcatDataset([a, Count(0, 2)])
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    assert [b[0].numpy().tolist() for b in DataLoader(both, batch_size=2)] == [[0, 1], [2, 14], [10]]


def test_chain_dataset_and_iterable_batches():
    chain = ChainDataset([Count(0, 3), Count(10, 12)])
    assert list(chain) == [0, 1, 2, 10, 11] and len(chain) == 5
    assert list(Count(0, 2) + Count(5, 6)) == [0, 1, 5]
    assert [b.numpy().tolist() for b in DataLoader(chain, batch_size=2)] == [[0, 1], [2, 10], [11]]
    assert [b.numpy().tolist() for b in DataLoader(chain, batch_size=2, drop_last=True)] == [[0, 1], [2, 10]]
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        list(ChainDataset([TensorDataset(np.arange(2))]))
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(chain, shuffle=True)


def test_stack_dataset_as_tuple_or_dict():
    x, y = TensorDataset(np.arange(4)), [10, 11, 12, 13]
    assert StackDataset(x, y)[2][1] == 12 and len(StackDataset(x, y)) == 4
    batch = next(iter(DataLoader(StackDataset(image=x, label=y), batch_size=3)))
    assert batch["label"].numpy().tolist() == [10, 11, 12] and batch["image"][0].numpy().tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(x, [1])
    with pytest.raises(ValueError, match="both types"):
        StackDataset(x, label=y)
