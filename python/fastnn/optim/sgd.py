"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""
from fastnn import _backend
from fastnn.optim.optimizer import FusedOptimizer, check_number
from fastnn.tensor import Tensor


class SGD(FusedOptimizer):
    """Stochastic gradient descent; the update is in csrc/cpu/optim.h.

    State per parameter: 'momentum_buffer' (only when momentum != 0), set to the first step's
    gradient and then updated, as in PyTorch.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["momentum"], "momentum", "momentum value")
        check_number(group["dampening"], "dampening", "dampening value", low=float("-inf"))
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening (nesterov=True needs "
                             f"momentum > 0 and dampening == 0, got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")

    def _step_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p._data
            buffer, first_step = None, False
            if momentum != 0:  # without momentum SGD keeps no state, as in PyTorch
                state = self.state[p]
                tensor = state.get("momentum_buffer")
                first_step = tensor is None
                if first_step:
                    tensor = state["momentum_buffer"] = Tensor._wrap(_backend.xp_for(data).empty_like(data, order="C"))
                buffer = tensor._data
            _backend.kernels_for(data).sgd_step(data, buffer, first_step, grad._data, lr, momentum, dampening,
                                                weight_decay, nesterov, maximize)
