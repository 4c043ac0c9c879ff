"""Rank 1 raises while rank 0 waits in a collective: the job must abort, not hang."""
import sys

import fastnn as fn
import fastnn.distributed as dist

dist.init_process_group()
if dist.get_rank() == int(sys.argv[1]):
    raise RuntimeError("deliberate failure on this rank")
dist.all_reduce(fn.ones(3))  # the other ranks would wait here forever without the abort
print("unreachable", flush=True)
