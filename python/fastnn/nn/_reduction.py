"""The `reduction` argument of the losses, and PyTorch's deprecated size_average/reduce pair."""

_VALID = ("none", "mean", "sum")


def check_reduction(reduction, extra=()):
    """`reduction` itself when it is one of 'none', 'mean', 'sum' (or `extra`), else ValueError."""
    if reduction not in _VALID and reduction not in extra:
        expected = ", ".join(repr(r) for r in _VALID + tuple(extra))
        raise ValueError(f"reduction must be one of {expected}, got {reduction!r}")
    return reduction


def legacy_reduction(size_average, reduce, reduction):
    """`reduction`, unless the deprecated size_average/reduce flags are given (PyTorch's rule:
    reduce=False -> 'none', else size_average=False -> 'sum', else 'mean')."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"
