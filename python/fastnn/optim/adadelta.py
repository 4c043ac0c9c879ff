"""Adadelta with weight decay and maximize (torch.optim.Adadelta)."""
from fastnn.optim.optimizer import FusedOptimizer, check_number, scalar_state, zeros_state


class Adadelta(FusedOptimizer):
    """Adadelta; the update is in csrc/cpu/optim.h.

    State per parameter: 'step', 'square_avg' (running mean of g^2), 'acc_delta' (running mean of
    the squared updates).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["rho"], "rho", "rho value", 0.0, 1.0, high_inclusive=True)
        check_number(group["eps"], "eps", "epsilon value")
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["square_avg"] = zeros_state(data)
        state["acc_delta"] = zeros_state(data)

    def _step_group(self, group):
        lr, rho, eps, weight_decay, maximize = (group["lr"], group["rho"], group["eps"], group["weight_decay"],
                                                group["maximize"])
        for data, grad, state, kernels in self._updates(group):
            kernels.adadelta_step(data, state["square_avg"]._data, state["acc_delta"]._data, state["step"]._data,
                                  grad, lr, rho, eps, weight_decay, maximize)
