"""Adamax, Adam with the infinity norm (torch.optim.Adamax)."""
from fastnn.optim.optimizer import FusedOptimizer, check_betas, check_number, scalar_state, zeros_state


class Adamax(FusedOptimizer):
    """Adamax; the update is in csrc/cpu/optim.h.

    State per parameter: 'step', 'exp_avg', 'exp_inf'.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        check_betas(betas)
        defaults = dict(lr=lr, betas=tuple(float(beta) for beta in betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["eps"], "eps", "epsilon value")
        check_betas(group["betas"])
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["exp_avg"] = zeros_state(data)
        state["exp_inf"] = zeros_state(data)

    def _step_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        maximize = group["maximize"]
        for data, grad, state, kernels in self._updates(group):
            kernels.adamax_step(data, state["exp_avg"]._data, state["exp_inf"]._data, state["step"]._data, grad, lr,
                                beta1, beta2, eps, weight_decay, maximize)
