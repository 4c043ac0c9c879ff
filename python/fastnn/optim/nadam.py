"""NAdam, Adam with Nesterov momentum and a momentum schedule (torch.optim.NAdam)."""
from fastnn.optim.optimizer import FusedOptimizer, check_betas, check_number, scalar_state, zeros_state


class NAdam(FusedOptimizer):
    """NAdam; the update is in csrc/cpu/optim.h. decoupled_weight_decay=True gives NAdamW.

    State per parameter: 'step', 'mu_product' (float32, like PyTorch's), 'exp_avg', 'exp_avg_sq'.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        check_betas(betas)
        defaults = dict(lr=lr, betas=tuple(float(beta) for beta in betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["eps"], "eps", "epsilon value")
        check_betas(group["betas"])
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")
        check_number(group["momentum_decay"], "momentum_decay", "momentum_decay value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["mu_product"] = scalar_state(1.0, data)
        state["exp_avg"] = zeros_state(data)
        state["exp_avg_sq"] = zeros_state(data)

    def _step_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        momentum_decay, decoupled, maximize = group["momentum_decay"], group["decoupled_weight_decay"], group["maximize"]
        for data, grad, state, kernels in self._updates(group):
            kernels.nadam_step(data, state["exp_avg"]._data, state["exp_avg_sq"]._data, state["step"]._data,
                               state["mu_product"]._data, grad, lr, beta1, beta2, eps, weight_decay, momentum_decay,
                               decoupled, maximize)
