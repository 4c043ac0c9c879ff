"""nn.Parameter: a Tensor that a Module registers as a learnable parameter when assigned."""
import numpy as np

from fastnn.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor (requires_grad=True by default) that shares memory with `data`.

    Operations on a Parameter return plain Tensors; only assigning a Parameter to a Module
    attribute registers it (Module.__setattr__).
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        if isinstance(data, Tensor) and data.grad_fn is not None:
            data = data.detach()
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # copy.deepcopy(model) (e.g. to keep the best weights) needs independent arrays.
        copy = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            copy.grad = Tensor._wrap(self.grad._data.copy())
        memo[id(self)] = copy
        return copy
