"""DistributedDataParallel's no_sync, overlap, buffers, unused parameters and its errors."""
import numpy as np

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(3)
x = rng.standard_normal((4, world, 5, 6))
y = rng.standard_normal((4, world, 5, 2))


def net(seed):
    fn.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2)).double()


# no_sync: micro-batches 0..2 accumulate locally, the backward of micro-batch 3 reduces the sum
model = net(rank)
ddp = DDP(model, bucket_cap_mb=0.0001)
state0 = {k: v.numpy().copy() for k, v in model.state_dict().items()}
for name, value in state0.items():  # rank 0's weights and buffers everywhere
    everyone = [None] * world
    dist.all_gather_object(everyone, value)
    assert all(np.array_equal(v, value) for v in everyone), name
with ddp.no_sync():
    for m in range(3):
        nn.functional.mse_loss(ddp(fn.tensor(x[m, rank])), fn.tensor(y[m, rank])).backward()
local = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
first_layer = model[0].weight
seen_started = []
first_layer.register_post_accumulate_grad_hook(lambda p: seen_started.append(ddp._next_bucket))
nn.functional.mse_loss(ddp(fn.tensor(x[3, rank])), fn.tensor(y[3, rank])).backward()
assert seen_started and seen_started[0] == len(ddp.bucket_sizes) - 1, (seen_started, ddp.bucket_sizes)

reference = net(0)
reference.load_state_dict({k: fn.tensor(v) for k, v in state0.items()})
for r in range(world):
    for m in range(4):
        nn.functional.mse_loss(reference(fn.tensor(x[m, r])), fn.tensor(y[m, r])).backward()
for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
    assert np.allclose(p.grad.numpy(), q.grad.numpy() / world, rtol=1e-12, atol=1e-14), name
    if name != "0.bias":  # before a BatchNorm its gradient is zero up to rounding
        assert not np.allclose(p.grad.numpy(), local[name]), name  # the reduction did change it

# a second backward of the same forward is an error, as in PyTorch
out = ddp(fn.tensor(x[0, rank])).sum()
out.backward(retain_graph=True)
try:
    out.backward()
except RuntimeError as error:
    assert "only once" in str(error)
else:
    raise AssertionError("no error for two backwards of one forward")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 1), nn.Linear(3, 1)

    def forward(self, t, use_b):
        return self.a(t) + (self.b(t) if use_b else 0)


# find_unused_parameters: head b is used on rank 0 only
for overlap in (True, False):
    fn.manual_seed(1)
    heads = TwoHeads().double()
    ddp = DDP(heads, find_unused_parameters=True, overlap=overlap)
    t = fn.tensor(np.full((2, 3), rank + 1.0))
    ddp(t, use_b=rank == 0).sum().backward()
    expected_b = np.full((1, 3), 2.0 / world)  # rank 0's gradient (inputs 1) averaged with zeros
    assert np.allclose(heads.b.weight.grad.numpy(), expected_b), heads.b.weight.grad
    assert np.allclose(heads.a.weight.grad.numpy(), np.full((1, 3), 2.0 * sum(range(1, world + 1)) / world))
    heads.zero_grad()
    ddp(t, use_b=False).sum().backward()  # unused everywhere: b keeps no gradient
    assert heads.b.weight.grad is None and heads.a.weight.grad is not None

# without find_unused_parameters the next forward says why the reduction never finished
fn.manual_seed(1)
ddp = DDP(TwoHeads().double())
ddp(fn.ones(2, 3, dtype=fn.float64), use_b=False).sum().backward()
try:
    ddp(fn.ones(2, 3, dtype=fn.float64), use_b=False)
except RuntimeError as error:
    assert "find_unused_parameters=True" in str(error)
else:
    raise AssertionError("no error for an unused parameter")

# every rank must build the same model
try:
    DDP(nn.Linear(3, 2 + rank).double())
except ValueError as error:
    assert "same model" in str(error)
else:
    raise AssertionError("no error for different models")
for bad in ({"bucket_cap_mb": 0}, {"device_ids": [0]}, {"dim": 1}):
    try:
        DDP(nn.Linear(2, 2), **bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no error for {bad}")
print(f"rank {rank} OK", flush=True)
