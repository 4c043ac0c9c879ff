"""DistributedSampler, as torch.utils.data.distributed.DistributedSampler: each of num_replicas
ranks loads its own part of the dataset.

The indices (a permutation drawn from seed + epoch when shuffle, else 0..n-1; the same on every
rank) are padded to a multiple of num_replicas by repeating the first ones (drop_last=False), or
cut to the largest multiple (drop_last=True); rank r then takes every num_replicas-th index from
position r. So every rank gets num_samples indices, the same number, and the batches line up.
The padded positions are the last ones: `num_real_samples` says how many of this rank's indices
come before them (fit and evaluate do not count the repeats in their metrics).
"""
import math
import numbers

from fastnn.data.sampler import Sampler
from fastnn.random import Generator


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


class DistributedSampler(Sampler):
    """Indices of this rank's shard of `dataset` (see the module docstring). num_replicas and rank
    default to fastnn.distributed's world size and rank. Call set_epoch(epoch) before each epoch
    (fit does) for a new shuffle per epoch."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            import fastnn.distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an initialized process "
                                   "group (fastnn.distributed.init_process_group())")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas, rank = _check_int(num_replicas, "num_replicas"), _check_int(rank, "rank")
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be at least 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        if not isinstance(drop_last, bool):
            raise TypeError(f"drop_last must be a bool, got {type(drop_last).__name__}")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = bool(shuffle)
        self.seed = _check_int(seed, "seed")
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = Generator(self.seed + self.epoch).numpy.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    @property
    def num_real_samples(self):
        """How many of this rank's num_samples indices are not padding (the first ones)."""
        if self.drop_last:
            return self.num_samples
        n = len(self.dataset)
        return max(0, min(self.num_samples, -(-(n - self.rank) // self.num_replicas)))

    def set_epoch(self, epoch):
        """The epoch whose shuffle __iter__ draws (seed + epoch): the same on every rank."""
        self.epoch = _check_int(epoch, "epoch")
