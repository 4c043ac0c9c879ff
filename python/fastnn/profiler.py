"""fn.profiler, in the manner of torch.profiler: which kernels ran, on which device, how often
and for how long.

    with fn.profiler.profile() as prof:
        loss = model(x).sum(); loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

Every kernel call that fastnn._backend dispatches (kernels_for(array).<kernel>) inside the
block is recorded: its name, its device ('cpu' or 'cuda'), the wall time of the call and the
CPU time of the calling thread (which other jobs on a loaded machine do not inflate; on 1
thread it is the kernel's whole cost), and with record_shapes=True the shapes of its array
arguments and results and the bytes of those arrays, so that
key_averages(group_by_input_shape=True) tells the layers apart and a kernel's flops or memory
traffic can be worked out (fastnn.benchmarks.breakdown does). On a
GPU each recorded call waits for its kernel to finish (so the time is the kernel's, and the
profiled run is slower than an unprofiled one); the emulator and the CPU kernels finish before
returning anyway. Array-library work between kernels (NumPy or CuPy element-wise operations)
is not a kernel of fastnn's and is not recorded. Profiles nest: an inner block's calls are
recorded in the outer one too.

PyTorch's spelling works: profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
keeps the kernels of those devices, and the rows have torch's time attributes and sort keys
(cpu_time_total, self_cpu_time_total, device_time_total / cuda_time_total and their self_ and
average forms, in microseconds). A kernel has no children, so its self time is its total time.
"""
import enum
import time

__all__ = ["profile", "ProfilerActivity", "EventAverage", "EventList"]


class ProfilerActivity(enum.Enum):
    """The devices whose kernels a profile records, as torch.profiler.ProfilerActivity."""
    CPU = "cpu"
    CUDA = "cuda"

_active = []  # the profiles recording now, outermost first


def active():
    """True while some profile() block is recording."""
    return bool(_active)


def records_shapes():
    """True while some recording profile wants the shapes of the kernels' arguments."""
    return any(p.record_shapes for p in _active)


def _activities(activities):
    """The device names of profile(activities=...): None is every device."""
    if activities is None:
        return frozenset(a.value for a in ProfilerActivity)
    if isinstance(activities, (ProfilerActivity, str)) or not hasattr(activities, "__iter__"):
        raise TypeError(f"activities must be a list of ProfilerActivity, got {activities!r}")
    devices = set()
    for a in activities:
        if not isinstance(a, ProfilerActivity):
            raise TypeError(f"activities must be a list of ProfilerActivity, got an item {a!r}")
        devices.add(a.value)
    return frozenset(devices)


def record(name, device, seconds, cpu_seconds=0.0, shapes=None, nbytes=0):
    """Adds one kernel call to every recording profile (called by fastnn._backend); shapes:
    (input shapes, output shapes), each a tuple with the shape of every argument / result (None
    for what is not an array); nbytes: the bytes of those arrays."""
    for p in _active:
        if device in p.devices:
            p._add(name, device, seconds, cpu_seconds, shapes if p.record_shapes else None, nbytes)


class EventAverage:
    """The calls of one kernel on one device (and, grouped by input shape, with one
    input_shapes and output_shapes): key (the kernel's name), device, count, the total and
    average wall time in microseconds (total_time_us, avg_time_us), the calling thread's CPU time
    (cpu_time_total_us) and, with record_shapes, the bytes of the arrays in and out (bytes_total)."""

    __slots__ = ("key", "device", "input_shapes", "output_shapes", "count", "total_time_us", "cpu_time_total_us",
                 "bytes_total")

    def __init__(self, key, device, input_shapes=None, output_shapes=None):
        self.key, self.device, self.input_shapes, self.output_shapes = key, device, input_shapes, output_shapes
        self.count, self.total_time_us, self.cpu_time_total_us, self.bytes_total = 0, 0.0, 0.0, 0

    @property
    def avg_time_us(self):
        return self.total_time_us / self.count if self.count else 0.0

    # torch.profiler's names, in microseconds: every call is timed on the host (cpu_time), and a
    # call of a CUDA kernel waits for it (device_time)
    @property
    def cpu_time_total(self):
        return self.total_time_us

    self_cpu_time_total = cpu_time_total

    @property
    def cpu_time(self):
        return self.avg_time_us

    @property
    def device_time_total(self):
        return self.total_time_us if self.device == "cuda" else 0.0

    self_device_time_total = cuda_time_total = self_cuda_time_total = device_time_total

    @property
    def device_time(self):
        return self.avg_time_us if self.device == "cuda" else 0.0

    cuda_time = device_time

    def __repr__(self):
        return (f"<EventAverage key={self.key!r} device={self.device!r} count={self.count} "
                f"total_time_us={self.total_time_us:.1f}>")


_SORT_KEYS = {"total_time": lambda e: -e.total_time_us, "count": lambda e: -e.count,
              "avg_time": lambda e: -e.avg_time_us, "name": lambda e: (e.key, e.device)}
_SORT_KEYS.update({key: (lambda attribute: lambda e: -getattr(e, attribute))(key) for key in (
    "cpu_time_total", "self_cpu_time_total", "cpu_time", "device_time_total", "self_device_time_total",
    "device_time", "cuda_time_total", "self_cuda_time_total", "cuda_time")})


class EventList(list):
    """EventAverage rows; table() prints them."""

    def table(self, sort_by="total_time", row_limit=100):
        """A text table: Name, Device, Calls, Total, Avg and % of the total time, sorted by
        'total_time' (default), 'avg_time', 'count', 'name' or one of torch's time keys
        ('cpu_time_total', 'self_cuda_time_total', ...), at most row_limit rows."""
        if sort_by not in _SORT_KEYS:
            raise ValueError(f"sort_by must be one of {sorted(_SORT_KEYS)}, got {sort_by!r}")
        if isinstance(row_limit, bool) or not isinstance(row_limit, int) or row_limit < 0:
            raise ValueError(f"row_limit must be a non-negative int, got {row_limit!r}")
        rows = sorted(self, key=_SORT_KEYS[sort_by])[:row_limit]
        total = sum(e.total_time_us for e in self)
        width = max([len("Name")] + [len(e.key) for e in rows])
        header = f"{'Name':<{width}}  {'Device':>6}  {'Calls':>7}  {'Total':>11}  {'Avg':>11}  {'%':>6}"
        rule = "-" * len(header)
        lines = [rule, header, rule]
        for e in rows:
            share = 100.0 * e.total_time_us / total if total else 0.0
            lines.append(f"{e.key:<{width}}  {e.device:>6}  {e.count:>7}  {_us(e.total_time_us):>11}  "
                         f"{_us(e.avg_time_us):>11}  {share:>5.1f}%")
        lines += [rule, f"Kernel time total: {_us(total)}"]
        return "\n".join(lines)


def _us(us):
    return f"{us / 1e6:.3f}s" if us >= 1e6 else f"{us / 1e3:.3f}ms" if us >= 1e3 else f"{us:.3f}us"


class profile:
    """A context manager that records the kernel calls made inside it (see the module doc)."""

    def __init__(self, activities=None, record_shapes=False, profile_memory=False, with_stack=False):
        if profile_memory or with_stack:
            raise NotImplementedError("fn.profiler records kernel calls only: profile_memory=True and "
                                      "with_stack=True are not supported")
        self.devices = _activities(activities)
        self.record_shapes = bool(record_shapes)
        self._events = {}  # (name, device, input shapes or None) -> EventAverage
        self._recording = False
        self.elapsed_us = 0.0  # wall time of the block

    def __enter__(self):
        if self._recording:
            raise RuntimeError("this profile is already recording")
        self._recording = True
        self._start = time.perf_counter()
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _active.remove(self)
        self._recording = False
        self.elapsed_us += (time.perf_counter() - self._start) * 1e6
        return False

    def _add(self, name, device, seconds, cpu_seconds, shapes, nbytes):
        key = (name, device, shapes)
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = EventAverage(name, device, *(shapes or (None, None)))
        event.count += 1
        event.total_time_us += seconds * 1e6
        event.cpu_time_total_us += cpu_seconds * 1e6
        event.bytes_total += nbytes

    def key_averages(self, group_by_input_shape=False):
        """One EventAverage per (kernel, device), or per (kernel, device, input shapes) with
        group_by_input_shape (which needs record_shapes=True), in the order first called."""
        if group_by_input_shape and not self.record_shapes:
            raise ValueError("group_by_input_shape=True needs profile(record_shapes=True)")
        if group_by_input_shape:
            return EventList(self._events.values())
        merged = {}
        for event in self._events.values():
            total = merged.get((event.key, event.device))
            if total is None:
                total = merged[(event.key, event.device)] = EventAverage(event.key, event.device)
            total.count += event.count
            total.total_time_us += event.total_time_us
            total.cpu_time_total_us += event.cpu_time_total_us
            total.bytes_total += event.bytes_total
        return EventList(merged.values())

    def table(self, **kwargs):
        return self.key_averages().table(**kwargs)
