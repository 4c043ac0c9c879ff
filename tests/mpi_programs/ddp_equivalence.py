"""DistributedDataParallel against one process: argv dtype steps overlap bucket_cap_mb full_batch_tolerance.

Every rank also computes, on its own, the reference: one model (rank 0's initial weights) that
accumulates the gradients of every rank's shard, divides by the world size and steps. After the
steps DDP's parameters must equal the reference bitwise (exact for 2 ranks: a + b == b + a) and
be identical on every rank; one model on the whole batch must agree within a tolerance.
"""
import socket
import sys

import numpy as np

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

dtype = {"float32": np.float32, "float64": np.float64}[sys.argv[1]]
steps, overlap, bucket_cap_mb = int(sys.argv[2]), sys.argv[3] == "overlap", float(sys.argv[4])
full_batch_tolerance = float(sys.argv[5])
dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()


def make_model(seed):
    fn.manual_seed(seed)
    return nn.Sequential(nn.Linear(7, 13), nn.Tanh(), nn.Linear(13, 11), nn.ReLU(), nn.Linear(11, 3)).to(dtype)


def copy_of(model):
    twin = make_model(99)
    twin.load_state_dict({k: fn.tensor(v.numpy().copy()) for k, v in model.state_dict().items()})
    return twin


model = make_model(1000 + rank)  # different weights on each rank: DDP must broadcast rank 0's
ddp = DDP(model, bucket_cap_mb=bucket_cap_mb, overlap=overlap)
assert len(ddp.bucket_sizes) > 1 or bucket_cap_mb >= 1, ddp.bucket_sizes
assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
reference, full_batch = copy_of(model), copy_of(model)

rng = np.random.default_rng(5)
per_rank = 6
inputs = rng.standard_normal((steps, world * per_rank, 7)).astype(dtype)
targets = rng.standard_normal((steps, world * per_rank, 3)).astype(dtype)
loss_fn = nn.MSELoss()


def sgd(m):
    return fn.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)


opt, opt_ref, opt_full = sgd(ddp), sgd(reference), sgd(full_batch)
for step in range(steps):
    shard = slice(rank * per_rank, (rank + 1) * per_rank)
    opt.zero_grad()
    loss_fn(ddp(fn.tensor(inputs[step, shard])), fn.tensor(targets[step, shard])).backward()
    opt.step()

    opt_ref.zero_grad()
    for r in range(world):
        s = slice(r * per_rank, (r + 1) * per_rank)
        loss_fn(reference(fn.tensor(inputs[step, s])), fn.tensor(targets[step, s])).backward()
    for p in reference.parameters():
        p.grad = fn.tensor(p.grad.numpy() / dtype(world))
    opt_ref.step()

    opt_full.zero_grad()
    loss_fn(full_batch(fn.tensor(inputs[step])), fn.tensor(targets[step])).backward()
    opt_full.step()

mine = np.concatenate([p.numpy().ravel() for p in model.parameters()])
expected = np.concatenate([p.numpy().ravel() for p in reference.parameters()])
whole = np.concatenate([p.numpy().ravel() for p in full_batch.parameters()])
everyone = [fn.zeros_like(fn.tensor(mine)) for _ in range(world)]
dist.all_gather(everyone, fn.tensor(mine))
assert all(np.array_equal(e.numpy(), mine) for e in everyone), "ranks differ"
difference = float(np.max(np.abs(mine - expected)))
if world == 2:
    assert difference == 0, f"not bitwise equal to accumulation: {difference}"
else:  # more than 2 addends: MPI may sum them in another order
    assert difference < (1e-6 if dtype == np.float32 else 1e-14), difference
full_difference = float(np.max(np.abs(mine - whole)))
assert full_difference <= full_batch_tolerance, f"one big batch differs by {full_difference}"
print(f"rank {rank} OK accumulation {difference:.3g} full-batch {full_difference:.3g} on {socket.gethostname()}",
      flush=True)
