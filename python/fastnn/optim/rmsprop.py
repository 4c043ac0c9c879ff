"""RMSprop with momentum, centering, weight decay and maximize (torch.optim.RMSprop)."""
from fastnn.optim.optimizer import FusedOptimizer, check_number, scalar_state, zeros_state


class RMSprop(FusedOptimizer):
    """RMSprop; the update is in csrc/cpu/optim.h.

    State per parameter: 'step', 'square_avg', 'momentum_buffer' (momentum > 0), 'grad_avg'
    (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["eps"], "eps", "epsilon value")
        check_number(group["momentum"], "momentum", "momentum value")
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")
        check_number(group["alpha"], "alpha", "alpha value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["square_avg"] = zeros_state(data)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(data)
        if group["centered"]:
            state["grad_avg"] = zeros_state(data)

    def _step_group(self, group):
        lr, alpha, eps, weight_decay = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
        for data, grad, state, kernels in self._updates(group):
            grad_avg = state["grad_avg"]._data if centered else None
            buffer = state["momentum_buffer"]._data if momentum > 0 else None
            kernels.rmsprop_step(data, state["square_avg"]._data, grad_avg, buffer, state["step"]._data, grad, lr,
                                 alpha, eps, weight_decay, momentum, maximize)
