"""Exception types fastnn raises besides the built-in ones."""


class IndexOutOfRangeError(IndexError, ValueError):
    """An index (token id, class target) outside its valid range. It is an IndexError, as
    PyTorch raises for these, and a ValueError, as fastnn raises for every other bad input."""
