"""One flat vector from the parameters, and back."""
from fastnn.functions import cat
from fastnn.tensor import Tensor


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated (differentiable, like PyTorch)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Makes each parameter's data the matching slice of `vec` (a view: no copy, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected fastnn.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        count = param.numel()
        param._data = vec._data[pointer:pointer + count].reshape(param.shape)
        pointer += count

