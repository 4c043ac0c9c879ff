"""fastnn.nn.parallel: DistributedDataParallel, as torch.nn.parallel."""
from fastnn.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
