"""Independent float64 NumPy implementations of every fastnn kernel, forward and backward.

Written for clarity, never calling fastnn: the oracle every kernel is compared with.
"""
import numpy as np


def f64(x):
    return np.asarray(x, dtype=np.float64)


# ----------------------------------------------------------------------------------------- gemm
def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, bias=None, activation=None):
    """activation(alpha * op(a) @ op(b) + beta * c + bias), computed in float64."""
    opa = f64(a).T if trans_a else f64(a)
    opb = f64(b).T if trans_b else f64(b)
    out = alpha * (opa @ opb)
    if beta != 0.0:
        out = out + beta * f64(c)
    if bias is not None:
        out = out + f64(bias)[None, :]
    if activation == "relu":
        out = np.where(out > 0, out, 0.0)
    return out


# ------------------------------------------------------------------------------------ optimizers
# One step of each optimizer's published update rule (the PyTorch documentation's algorithms),
# in float64. `state` is a dict of float64 arrays/numbers updated in place; t is the step number
# (1 for the first step); returns the new parameter.
def _effective_grad(p, g, weight_decay, maximize):
    g = -f64(g) if maximize else f64(g)
    return g + weight_decay * p if weight_decay else g


def sgd_step(p, g, state, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    p = f64(p)
    g = _effective_grad(p, g, weight_decay, maximize)
    if momentum:
        b = g.copy() if t == 1 else momentum * state["momentum_buffer"] + (1 - dampening) * g
        state["momentum_buffer"] = b
        g = g + momentum * b if nesterov else b
    return p - lr * g


def adagrad_step(p, g, state, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 maximize=False):
    p = f64(p)
    g = _effective_grad(p, g, weight_decay, maximize)
    lr_t = lr / (1 + (t - 1) * lr_decay)
    state["sum"] = state.get("sum", np.full_like(p, initial_accumulator_value)) + g * g
    return p - lr_t * g / (np.sqrt(state["sum"]) + eps)


def rmsprop_step(p, g, state, t, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False):
    p = f64(p)
    g = _effective_grad(p, g, weight_decay, maximize)
    v = alpha * state.get("square_avg", 0.0) + (1 - alpha) * g * g
    state["square_avg"] = v
    if centered:
        state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
        v = v - state["grad_avg"] ** 2
    if momentum > 0:
        state["momentum_buffer"] = momentum * state.get("momentum_buffer", 0.0) + g / (np.sqrt(v) + eps)
        return p - lr * state["momentum_buffer"]
    return p - lr * g / (np.sqrt(v) + eps)


def adam_step(p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
              decoupled_weight_decay=False):
    beta1, beta2 = betas
    p = f64(p)
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        weight_decay = 0.0
    g = _effective_grad(p, g, weight_decay, maximize)
    state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
    state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * g * g
    v = state["exp_avg_sq"]
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", 0.0), v)
    m_hat = state["exp_avg"] / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def adamw_step(p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    return adam_step(p, g, state, t, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay=True)


def adamax_step(p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    beta1, beta2 = betas
    p = f64(p)
    g = _effective_grad(p, g, weight_decay, maximize)
    state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
    state["exp_inf"] = np.maximum(beta2 * state.get("exp_inf", 0.0), np.abs(g) + eps)
    return p - lr / (1 - beta1 ** t) * state["exp_avg"] / state["exp_inf"]


def nadam_step(p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
               decoupled_weight_decay=False, maximize=False):
    """PyTorch keeps the product of the mu_i in a float32 tensor, so the product is rounded to
    float32 after each multiplication here too."""
    beta1, beta2 = betas
    p = f64(p)
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        weight_decay = 0.0
    g = _effective_grad(p, g, weight_decay, maximize)
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    state["mu_product"] = float(np.float32(state.get("mu_product", 1.0)) * np.float32(mu))
    state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
    state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * g * g
    m_hat = (mu_next * state["exp_avg"] / (1 - state["mu_product"] * mu_next)
             + (1 - mu) * g / (1 - state["mu_product"]))
    v_hat = state["exp_avg_sq"] / (1 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)
