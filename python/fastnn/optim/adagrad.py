"""Adagrad with learning-rate decay, weight decay and maximize (torch.optim.Adagrad)."""
from fastnn.optim.optimizer import FusedOptimizer, check_number, scalar_state, zeros_state


class Adagrad(FusedOptimizer):
    """Adagrad; the update is in csrc/cpu/optim.h.

    State per parameter: 'step', 'sum' (starts at initial_accumulator_value). As in PyTorch the
    state of the parameters given here exists from construction on.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group)

    def _check_options(self, group):
        check_number(group["lr"], "lr", "learning rate")
        check_number(group["lr_decay"], "lr_decay", "lr_decay value")
        check_number(group["weight_decay"], "weight_decay", "weight_decay value")
        check_number(group["initial_accumulator_value"], "initial_accumulator_value",
                     "initial_accumulator_value value")
        check_number(group["eps"], "eps", "epsilon value")

    def _init_state(self, state, data, group):
        state["step"] = scalar_state(0.0, data)
        state["sum"] = zeros_state(data, group["initial_accumulator_value"])

    def _step_group(self, group):
        lr, lr_decay, weight_decay, eps, maximize = (group["lr"], group["lr_decay"], group["weight_decay"],
                                                     group["eps"], group["maximize"])
        for data, grad, state, kernels in self._updates(group):
            kernels.adagrad_step(data, state["sum"]._data, state["step"]._data, grad, lr, lr_decay, weight_decay, eps,
                                 maximize)
