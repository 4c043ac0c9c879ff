"""Adam (optionally AMSGrad, decoupled weight decay) and AdamW (torch.optim.Adam, AdamW)."""
from fastnn.optim.optimizer import FusedOptimizer, check_betas, check_number, scalar_state, zeros_state


class Adam(FusedOptimizer):
    """Adam; the update is in csrc/cpu/optim.h. weight_decay is an L2 penalty added to the
    gradient, or with decoupled_weight_decay=True a shrinking of the parameter (AdamW).

    State per parameter: 'step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq' (amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        check_betas(betas)
        defaults = dict(lr=lr, betas=tuple(float(beta) for beta in betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["eps"], "eps", "epsilon value")
        check_betas(group["betas"])
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["exp_avg"] = zeros_state(data)
        state["exp_avg_sq"] = zeros_state(data)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(data)

    def _step_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        amsgrad, decoupled, maximize = group["amsgrad"], group["decoupled_weight_decay"], group["maximize"]
        for data, grad, state, kernels in self._updates(group):
            max_exp_avg_sq = state["max_exp_avg_sq"]._data if amsgrad else None
            kernels.adam_step(data, state["exp_avg"]._data, state["exp_avg_sq"]._data, max_exp_avg_sq,
                              state["step"]._data, grad, lr, beta1, beta2, eps, weight_decay, decoupled, maximize)


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p (1 - lr weight_decay) before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)
