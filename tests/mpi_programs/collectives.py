"""Every collective of fastnn.distributed on the launched world; prints one OK line per rank."""
import fastnn as fn
import fastnn.distributed as dist
import numpy as np

dist.init_process_group()
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and 0 <= dist.get_local_rank() < size

for dtype in (np.float32, np.float64, np.int64):
    t = fn.tensor(np.arange(5, dtype=dtype) + rank)
    dist.all_reduce(t)
    assert np.array_equal(t.numpy(), size * np.arange(5) + sum(range(size))), t
    for op, expected in ((dist.ReduceOp.MAX, np.arange(5) + size - 1), (dist.ReduceOp.MIN, np.arange(5)),
                         (dist.ReduceOp.PRODUCT, np.prod([np.arange(5) + r for r in range(size)], axis=0))):
        t = fn.tensor(np.arange(5, dtype=dtype) + rank)
        dist.all_reduce(t, op=op)
        assert np.array_equal(t.numpy(), expected), (op, t)
t = fn.tensor(np.full(3, float(rank)))
dist.all_reduce(t, dist.ReduceOp.AVG)
assert np.allclose(t.numpy(), (size - 1) / 2)

# a strided (non-contiguous) view is reduced in place too
base = fn.tensor(np.arange(12, dtype=np.float64).reshape(3, 4) * (rank + 1))
view = base.t()
dist.all_reduce(view)
assert np.array_equal(base.numpy(), np.arange(12).reshape(3, 4) * sum(range(1, size + 1)))

work = dist.all_reduce(fn.ones(4), async_op=True)
work.wait()

t = fn.tensor(np.full((2, 3), rank, dtype=np.float32))
dist.broadcast(t, src=size - 1)
assert np.array_equal(t.numpy(), np.full((2, 3), size - 1))

gathered = [fn.zeros(2, dtype=fn.int64) for _ in range(size)]
dist.all_gather(gathered, fn.tensor(np.array([rank, 10 * rank])))
assert [g.tolist() for g in gathered] == [[r, 10 * r] for r in range(size)]

objects = [{"rank": rank}] if rank == 1 else [None]
dist.broadcast_object_list(objects, src=1)
assert objects == [{"rank": 1}]
everyone = [None] * size
dist.all_gather_object(everyone, ("r", rank))
assert everyone == [("r", r) for r in range(size)]

for bad, error in ((lambda: dist.broadcast(fn.ones(2), src=size), ValueError),
                   (lambda: dist.all_reduce(np.ones(2)), TypeError),
                   (lambda: dist.all_reduce(fn.ones(2), op="mean"), ValueError),
                   (lambda: dist.all_reduce(fn.ones(2, dtype=fn.int64), op=dist.ReduceOp.AVG), ValueError),
                   (lambda: dist.all_gather([fn.ones(2)], fn.ones(2)), ValueError),
                   (lambda: dist.init_process_group(), RuntimeError)):
    try:
        bad()
    except error:
        pass
    else:
        raise AssertionError(f"no {error.__name__}")

dist.barrier()
print(f"rank {rank} of {size} OK", flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()
