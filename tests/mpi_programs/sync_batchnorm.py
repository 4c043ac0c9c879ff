"""A CNN with SyncBatchNorm under DDP against one process with BatchNorm on the whole batch:
argv dtype steps tolerance."""
import sys

import numpy as np

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

dtype = {"float32": np.float32, "float64": np.float64}[sys.argv[1]]
steps, tolerance = int(sys.argv[2]), float(sys.argv[3])
dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()


def cnn():
    fn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 8), nn.BatchNorm1d(8, momentum=None), nn.Tanh(),
                         nn.Linear(8, 3)).to(dtype)


single = cnn()
model = nn.SyncBatchNorm.convert_sync_batchnorm(cnn())
assert isinstance(model[1], nn.SyncBatchNorm) and isinstance(model[5], nn.SyncBatchNorm)
assert list(model.state_dict()) == list(single.state_dict())
ddp = DDP(model, bucket_cap_mb=0.001)
rng = np.random.default_rng(1)
per_rank = 5
x = (3 + 2 * rng.standard_normal((steps, world * per_rank, 3, 6, 6))).astype(dtype)  # |mean| > std
y = rng.standard_normal((steps, world * per_rank, 3)).astype(dtype)
opt = fn.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
opt_single = fn.optim.SGD(single.parameters(), lr=0.05, momentum=0.9)
mine = slice(rank * per_rank, (rank + 1) * per_rank)
for step in range(steps):
    opt.zero_grad()
    nn.functional.mse_loss(ddp(fn.tensor(x[step, mine])), fn.tensor(y[step, mine])).backward()
    opt.step()
    opt_single.zero_grad()
    nn.functional.mse_loss(single(fn.tensor(x[step])), fn.tensor(y[step])).backward()
    opt_single.step()

worst = 0.0
for (name, a), b in zip(model.state_dict().items(), single.state_dict().values()):
    difference = float(np.max(np.abs(a.numpy().astype(np.float64) - b.numpy())))
    assert difference <= tolerance, (name, difference)
    worst = max(worst, difference)
assert model[1].num_batches_tracked.item() == steps
ddp.eval()
single.eval()
test = fn.tensor(x[0, :3])
assert np.allclose(ddp(test).numpy(), single(test).numpy(), rtol=0, atol=10 * tolerance)
print(f"rank {rank} OK {worst:.3g}", flush=True)
