"""Direct, allocation-explicit access to fastnn's kernels on NumPy arrays.

Each function validates its arguments (dtype, shape, writeability, aliasing) and raises
TypeError/ValueError naming the argument, the expected and the actual value.
"""
from fastnn import _C


def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, bias=None, activation=None):
    """C = activation(alpha * op(a) @ op(b) + beta * c + bias), op = identity or transpose.

    a, b: 2-D float32/float64 arrays of one dtype, any strides. c: None (allocated, C-order) or a
    writeable array of shape (m, n) that shares no memory with a or b. bias: length-n vector
    broadcast over rows. activation: None or "relu". Returns c.
    """
    return _C.gemm(a, b, c, alpha, beta, trans_a, trans_b, bias, activation)


# ----------------------------------------------------------------------------------- optimizers
# One fused, in-place update per call (formulas in csrc/cpu/optim.h, PyTorch's arithmetic). param
# and the state buffers must be C-contiguous, writeable arrays of param's dtype and shape (never
# converted: a copy would be updated instead); grad may have any strides. step and mu_product
# are writeable 0-D float32 arrays; each call adds 1 to step first.

def sgd_step(param, momentum_buffer, first_step, grad, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, maximize=False):
    """SGD; momentum_buffer is None when momentum == 0 and is (over)written when first_step."""
    _C.sgd_step(param, momentum_buffer, first_step, grad, lr, momentum, dampening, weight_decay, nesterov, maximize)


def adagrad_step(param, sum, step, grad, lr, lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False):
    """Adagrad; `sum` accumulates squared gradients."""
    _C.adagrad_step(param, sum, step, grad, lr, lr_decay, weight_decay, eps, maximize)


def rmsprop_step(param, square_avg, grad_avg, momentum_buffer, step, grad, lr, alpha=0.99, eps=1e-8,
                 weight_decay=0.0, momentum=0.0, maximize=False):
    """RMSprop; grad_avg is None unless centered, momentum_buffer None unless momentum > 0."""
    _C.rmsprop_step(param, square_avg, grad_avg, momentum_buffer, step, grad, lr, alpha, eps, weight_decay, momentum,
                    maximize)


def adam_step(param, exp_avg, exp_avg_sq, max_exp_avg_sq, step, grad, lr, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, decoupled_weight_decay=False, maximize=False):
    """Adam (AdamW with decoupled_weight_decay); max_exp_avg_sq is None unless amsgrad."""
    _C.adam_step(param, exp_avg, exp_avg_sq, max_exp_avg_sq, step, grad, lr, beta1, beta2, eps, weight_decay,
                 decoupled_weight_decay, maximize)


def adamax_step(param, exp_avg, exp_inf, step, grad, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                maximize=False):
    """Adamax; exp_inf is the exponentially weighted infinity norm."""
    _C.adamax_step(param, exp_avg, exp_inf, step, grad, lr, beta1, beta2, eps, weight_decay, maximize)


def nadam_step(param, exp_avg, exp_avg_sq, step, mu_product, grad, lr, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.0, momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    """NAdam; mu_product (start at 1) is the running product of the momentum coefficients."""
    _C.nadam_step(param, exp_avg, exp_avg_sq, step, mu_product, grad, lr, beta1, beta2, eps, weight_decay,
                  momentum_decay, decoupled_weight_decay, maximize)
