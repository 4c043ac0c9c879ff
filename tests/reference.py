"""Independent float64 NumPy implementations of every fastnn kernel, forward and backward.

Written for clarity, never calling fastnn: the oracle every kernel is compared with.
"""
import math

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


# --------------------------------------------------------------------------------------- losses
def reduce_loss(loss, reduction, batch=None):
    """'none' -> elementwise, 'sum' -> total, 'mean' -> total / count, 'batchmean' -> total / batch."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / batch
    return loss.sum() / loss.size


def mse_loss(input, target, reduction="mean"):
    return reduce_loss((f64(input) - f64(target)) ** 2, reduction)


def l1_loss(input, target, reduction="mean"):
    return reduce_loss(np.abs(f64(input) - f64(target)), reduction)


def huber_loss(input, target, delta=1.0, reduction="mean"):
    d = np.abs(f64(input) - f64(target))
    return reduce_loss(np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)


def smooth_l1_loss(input, target, beta=1.0, reduction="mean"):
    d = np.abs(f64(input) - f64(target))
    if beta == 0:
        return reduce_loss(d, reduction)
    return reduce_loss(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    x, t = f64(input), f64(target)
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log(1 - x), -100.0))
    if weight is not None:
        loss = loss * f64(weight)
    return reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """-w [p t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))], the logs via logaddexp."""
    x, t = f64(input), f64(target)
    log_sigmoid = -np.logaddexp(0.0, -x)
    log_one_minus_sigmoid = -np.logaddexp(0.0, x)
    p = 1.0 if pos_weight is None else f64(pos_weight)
    loss = -(p * t * log_sigmoid + (1 - t) * log_one_minus_sigmoid)
    if weight is not None:
        loss = loss * f64(weight)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """var already shaped to broadcast against input."""
    v = np.maximum(f64(var), eps)
    loss = 0.5 * (np.log(v) + (f64(input) - f64(target)) ** 2 / v)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return reduce_loss(loss, reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    x, t = f64(input), f64(target)
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        safe = np.where(t > 0, t, 1.0)
        loss = np.where(t > 0, t * np.log(safe), 0.0) - t * x
    return reduce_loss(loss, reduction, batch=x.shape[0] if x.ndim else 1)


# ------------------------------------------------------------------------------ grad clipping
def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """(total norm, clipped gradients): the norm of the per-gradient norms, then one common scale."""
    grads = [f64(g) for g in grads]
    if norm_type == np.inf:
        total = max(np.abs(g).max() for g in grads)
    else:
        total = sum((np.abs(g) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    scale = min(max_norm / (total + 1e-6), 1.0)
    return total, [g * scale for g in grads]


# ----------------------------------------------------------------------------------- activations
# Forward and analytic backward of each activation, PyTorch's definitions, in float64.
# Comparisons are written so that NaN behaves as in PyTorch's kernels.
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def activation_forward(name, x, negative_slope=0.01, alpha=1.0, approximate="none", beta=1.0, threshold=20.0):
    x = f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "relu":
            return np.where(np.isnan(x), x, np.where(x > 0, x, 0.0))
        if name == "leaky_relu":
            return np.where(x > 0, x, negative_slope * x)
        if name == "elu":
            return np.where(x > 0, x, alpha * np.expm1(x))
        if name == "sigmoid":
            return _sigmoid(x)
        if name == "tanh":
            return np.tanh(x)
        if name == "silu":
            return x * _sigmoid(x)
        if name == "gelu" and approximate == "none":
            return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
        if name == "gelu":
            return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
        if name == "softplus":
            return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)
    raise ValueError(name)


def activation_backward(name, grad_out, x, negative_slope=0.01, alpha=1.0, approximate="none", beta=1.0,
                        threshold=20.0):
    """d activation(x) / dx * grad_out, from the input x (for every activation)."""
    g, x = f64(grad_out), f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "relu":
            return np.where(x <= 0, 0.0, g)
        if name == "leaky_relu":
            return np.where(x > 0, g, g * negative_slope)
        if name == "elu":
            return np.where(x <= 0, g * alpha * np.exp(x), g)
        if name == "sigmoid":
            s = _sigmoid(x)
            return g * s * (1.0 - s)
        if name == "tanh":
            return g * (1.0 - np.tanh(x) ** 2)
        if name == "silu":
            s = _sigmoid(x)
            return g * (s + x * s * (1.0 - s))
        if name == "gelu" and approximate == "none":
            cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
            pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
            return g * (cdf + x * pdf)
        if name == "gelu":
            k = math.sqrt(2.0 / math.pi)
            t = np.tanh(k * (x + 0.044715 * x**3))
            slope = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x)
            # at +-inf the formula is inf * 0; the derivative's limits are 1 and 0
            return g * np.where(np.isinf(x), 0.5 * (1.0 + t), slope)
        if name == "softplus":
            return np.where(beta * x > threshold, g, g * _sigmoid(beta * x))
    raise ValueError(name)


# --------------------------------------------------------------------------------------- softmax
def softmax(x, dim=-1):
    x = f64(x)
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def log_softmax(x, dim=-1):
    x = f64(x)
    shifted = x - np.max(x, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


def softmax_backward(grad_out, x, dim=-1):
    """Jacobian-vector product of softmax at x: dx_j = sum_i g_i s_i (delta_ij - s_j)."""
    s, g = softmax(x, dim), f64(grad_out)
    return s * (g - np.sum(g * s, axis=dim, keepdims=True))


def log_softmax_backward(grad_out, x, dim=-1):
    """dx_j = g_j - s_j sum_i g_i, s = softmax(x)."""
    g = f64(grad_out)
    return g - softmax(x, dim) * np.sum(g, axis=dim, keepdims=True)


# --------------------------------------------------------------------------------- cross-entropy
def cross_entropy(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """torch.nn.functional.cross_entropy on [N, C] logits, written from its formula, row by row."""
    x = f64(logits)
    n, c = x.shape
    w = np.ones(c) if weight is None else f64(weight)
    eps = label_smoothing
    lp = log_softmax(x, 1)
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        nll, smooth, counted = np.zeros(n), np.zeros(n), np.zeros(n)
        for i in range(n):
            t = int(target[i])
            if t == ignore_index:
                continue
            nll[i] = -w[t] * lp[i, t]
            smooth[i] = -np.sum(w * lp[i])
            counted[i] = w[t]
        if reduction == "none":
            return (1 - eps) * nll + eps / c * smooth
        if reduction == "sum":
            return (1 - eps) * nll.sum() + eps / c * smooth.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            # PyTorch: the smoothing term is divided by the summed target weights when there
            # are weights, else by the number of non-ignored targets.
            smooth_denominator = counted.sum() if weight is not None else np.count_nonzero(target != ignore_index)
            return (1 - eps) * nll.sum() / counted.sum() + eps / c * smooth.sum() / smooth_denominator
    q = (1 - eps) * f64(target) + eps / c
    rows = -np.sum(w[None, :] * q * lp, axis=1)
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    with np.errstate(invalid="ignore"):
        return rows.sum() / n


def cross_entropy_backward(grad_loss, logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                           reduction="mean"):
    """d loss / d logits by the chain rule: dL/dlp (from the loss formula) through log_softmax."""
    x = f64(logits)
    n, c = x.shape
    w = np.ones(c) if weight is None else f64(weight)
    eps = label_smoothing
    g = f64(grad_loss) * np.ones(n) if reduction == "none" else np.full(n, float(grad_loss))
    dlp = np.zeros((n, c))  # d loss / d log_probs
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        valid = target != ignore_index
        counted = sum(w[int(t)] for t in target[valid])
        nll_scale = counted if reduction == "mean" else 1.0
        smooth_scale = (counted if weight is not None else np.count_nonzero(valid)) if reduction == "mean" else 1.0
        for i in range(n):
            if not valid[i]:
                continue
            t = int(target[i])
            dlp[i, t] -= g[i] * (1 - eps) * w[t] / nll_scale
            dlp[i] -= g[i] * eps / c * w / smooth_scale
    else:
        q = (1 - eps) * f64(target) + eps / c
        scale = n if reduction == "mean" else 1.0
        dlp = -(g[:, None] / scale) * w[None, :] * q
    return log_softmax_backward(dlp, x, 1)


# --------------------------------------------------------------------------------------- dropout
def dropout(x, mask, p):
    """x * mask / (1 - p), and x * 0 when p = 1 (so NaN stays NaN, as in PyTorch)."""
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return f64(x) * (np.asarray(mask) != 0) * scale


def activation_backward_from_output(name, grad_out, y):
    """sigmoid / tanh gradients from the forward output y (what their backward kernels take)."""
    g, y = f64(grad_out), f64(y)
    if name == "sigmoid":
        return g * y * (1.0 - y)
    if name == "tanh":
        return g * (1.0 - y * y)
    raise ValueError(name)


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


def adadelta_step(p, g, state, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """Zeiler (2012): running means of g^2 and of the squared updates scale the step."""
    p = f64(p)
    g = _effective_grad(p, g, weight_decay, maximize)
    state["square_avg"] = rho * state.get("square_avg", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(state.get("acc_delta", 0.0) + eps) / np.sqrt(state["square_avg"] + eps) * g
    state["acc_delta"] = rho * state.get("acc_delta", 0.0) + (1 - rho) * delta * delta
    return p - lr * delta


# ------------------------------------------------------------------------------ embeddings
def embedding_forward(weight, ids):
    """Row ids[...] of weight, one at a time."""
    weight, ids = f64(weight), np.asarray(ids)
    out = np.empty(ids.shape + (weight.shape[1],))
    for index in np.ndindex(ids.shape):
        out[index] = weight[ids[index]]
    return out


def embedding_backward(grad_out, ids, num_embeddings, padding_idx=None):
    """grad_weight[v] = sum of grad_out over the positions holding id v (none for padding_idx)."""
    grad_out, ids = f64(grad_out), np.asarray(ids)
    grad = np.zeros((num_embeddings, grad_out.shape[-1]))
    for index in np.ndindex(ids.shape):
        if ids[index] != padding_idx:
            grad[ids[index]] += grad_out[index]
    return grad


# ------------------------------------------------------------------------------- attention
def attention_probabilities(q, k, scale, mask=None, causal=False):
    """softmax over each row of scale * q k^T + mask for q [N, Tq, E], k [N, Tk, E]; a row with
    every key masked (-inf) gives zeros. Rows one at a time."""
    q, k = f64(q), f64(k)
    n, tq, tk = q.shape[0], q.shape[1], k.shape[1]
    p = np.zeros((n, tq, tk))
    bias = np.zeros((n, tq, tk)) if mask is None else np.broadcast_to(f64(mask), (n, tq, tk))
    for b in range(n):
        for i in range(tq):
            s = scale * (k[b] @ q[b, i]) + bias[b, i]
            if causal:
                s[i + 1:] = -np.inf
            if np.all(s == -np.inf):
                continue
            e = np.exp(s - s.max())
            p[b, i] = e / e.sum()
    return p


def attention_forward(q, k, v, scale, mask=None, causal=False):
    """out = P v with P = attention_probabilities (q, k, v as [N, T, E])."""
    return np.einsum("nij,nje->nie", attention_probabilities(q, k, scale, mask, causal), f64(v))


def attention_backward(grad_out, q, k, v, scale, mask=None, causal=False):
    """(dq, dk, dv, dmask) through P = softmax(S): dS = P (dP - sum_j dP P) with dP = dO v^T."""
    p = attention_probabilities(q, k, scale, mask, causal)
    grad_out, q, k, v = f64(grad_out), f64(q), f64(k), f64(v)
    dv = np.einsum("nij,nie->nje", p, grad_out)
    dp = np.einsum("nie,nje->nij", grad_out, v)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    return scale * np.einsum("nij,nje->nie", ds, k), scale * np.einsum("nij,nie->nje", ds, q), dv, ds


# -------------------------------------------------------------------------- recurrent layers
# One layer, one direction, time-major x [T, B, I]; PyTorch's gate orders (LSTM i, f, g, o; GRU
# r, z, n). Forward returns the outputs and what the kernels save: LSTM (y, h_n, c_n, gates
# [T, B, 4H] activated, cells [T, B, H]); GRU (y, h_n, gates [T, B, 4H] = r, z, n, W_hn h + b_hn);
# RNN (y, h_n). Backward differentiates by hand, step by step in reverse, and returns
# (dx, dh0[, dc0], dW_ih, dW_hh, db_ih, db_hh).
def _rnn_order(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _sigm(x):
    return 1.0 / (1.0 + np.exp(-x))


def _bias(b, n):
    return np.zeros(n) if b is None else f64(b)


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    x, w_ih, w_hh = f64(x), f64(w_ih), f64(w_hh)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    b = _bias(b_ih, 4 * hidden) + _bias(b_hh, 4 * hidden)
    h = np.zeros((batch, hidden)) if h0 is None else f64(h0)
    c = np.zeros((batch, hidden)) if c0 is None else f64(c0)
    y = np.zeros((steps, batch, hidden))
    cells = np.zeros((steps, batch, hidden))
    gates = np.zeros((steps, batch, 4 * hidden))
    for t in _rnn_order(steps, reverse):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = np.split(a, 4, axis=1)
        i, f, g, o = _sigm(i), _sigm(f), np.tanh(g), _sigm(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        y[t], cells[t], gates[t] = h, c, np.concatenate([i, f, g, o], axis=1)
    return y, h, c, gates, cells


def lstm_backward(dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    y, _, _, gates, cells = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
    x, w_ih, w_hh, dy = f64(x), f64(w_ih), f64(w_hh), f64(dy)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    zeros = np.zeros((batch, hidden))
    h_init = zeros if h0 is None else f64(h0)
    c_init = zeros if c0 is None else f64(c0)
    dh = zeros if dh_n is None else f64(dh_n).copy()
    dc = zeros if dc_n is None else f64(dc_n).copy()
    dx = np.zeros_like(x)
    dw_ih, dw_hh, db = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros(4 * hidden)
    order = list(_rnn_order(steps, reverse))
    for k in range(steps - 1, -1, -1):
        t = order[k]
        h_prev = h_init if k == 0 else y[order[k - 1]]
        c_prev = c_init if k == 0 else cells[order[k - 1]]
        i, f, g, o = np.split(gates[t], 4, axis=1)
        dh = dh + dy[t]
        tc = np.tanh(cells[t])
        dc = dc + dh * o * (1 - tc ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                             dh * tc * o * (1 - o)], axis=1)
        dx[t] = da @ w_ih
        dw_ih += da.T @ x[t]
        dw_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh = da @ w_hh
        dc = dc * f
    return dx, dh, dc, dw_ih, dw_hh, db, db.copy()


def gru_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    x, w_ih, w_hh = f64(x), f64(w_ih), f64(w_hh)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    bi, bh = _bias(b_ih, 3 * hidden), _bias(b_hh, 3 * hidden)
    h = np.zeros((batch, hidden)) if h0 is None else f64(h0)
    y = np.zeros((steps, batch, hidden))
    gates = np.zeros((steps, batch, 4 * hidden))
    for t in _rnn_order(steps, reverse):
        xr, xz, xn = np.split(x[t] @ w_ih.T + bi, 3, axis=1)
        hr, hz, hn = np.split(h @ w_hh.T + bh, 3, axis=1)
        r, z = _sigm(xr + hr), _sigm(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        y[t], gates[t] = h, np.concatenate([r, z, n, hn], axis=1)
    return y, h, gates


def gru_backward(dy, dh_n, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    y, _, gates = gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
    x, w_ih, w_hh, dy = f64(x), f64(w_ih), f64(w_hh), f64(dy)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    h_init = np.zeros((batch, hidden)) if h0 is None else f64(h0)
    dh = np.zeros((batch, hidden)) if dh_n is None else f64(dh_n).copy()
    dx = np.zeros_like(x)
    dw_ih, dw_hh = np.zeros_like(w_ih), np.zeros_like(w_hh)
    db_ih, db_hh = np.zeros(3 * hidden), np.zeros(3 * hidden)
    order = list(_rnn_order(steps, reverse))
    for k in range(steps - 1, -1, -1):
        t = order[k]
        h_prev = h_init if k == 0 else y[order[k - 1]]
        r, z, n, hn = np.split(gates[t], 4, axis=1)
        dh = dh + dy[t]
        dan = dh * (1 - z) * (1 - n ** 2)
        daz = dh * (h_prev - n) * z * (1 - z)
        dar = dan * hn * r * (1 - r)
        dgx = np.concatenate([dar, daz, dan], axis=1)
        dgh = np.concatenate([dar, daz, dan * r], axis=1)
        dx[t] = dgx @ w_ih
        dw_ih += dgx.T @ x[t]
        dw_hh += dgh.T @ h_prev
        db_ih += dgx.sum(axis=0)
        db_hh += dgh.sum(axis=0)
        dh = dh * z + dgh @ w_hh
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh


def rnn_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    x, w_ih, w_hh = f64(x), f64(w_ih), f64(w_hh)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    b = _bias(b_ih, hidden) + _bias(b_hh, hidden)
    h = np.zeros((batch, hidden)) if h0 is None else f64(h0)
    y = np.zeros((steps, batch, hidden))
    for t in _rnn_order(steps, reverse):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
        y[t] = h
    return y, h


def rnn_backward(dy, dh_n, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    y, _ = rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse)
    x, w_ih, w_hh, dy = f64(x), f64(w_ih), f64(w_hh), f64(dy)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    h_init = np.zeros((batch, hidden)) if h0 is None else f64(h0)
    dh = np.zeros((batch, hidden)) if dh_n is None else f64(dh_n).copy()
    dx = np.zeros_like(x)
    dw_ih, dw_hh, db = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros(hidden)
    order = list(_rnn_order(steps, reverse))
    for k in range(steps - 1, -1, -1):
        t = order[k]
        h_prev = h_init if k == 0 else y[order[k - 1]]
        dh = dh + dy[t]
        da = dh * (1 - y[t] ** 2) if nonlinearity == "tanh" else dh * (y[t] > 0)
        dx[t] = da @ w_ih
        dw_ih += da.T @ x[t]
        dw_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh = da @ w_hh
    return dx, dh, dw_ih, dw_hh, db, db.copy()


# ---------------------------------------------------------------------------------- convolution
# NCHW, weight [O, C/groups, kH, kW] (conv) or [Cin, Cout/groups, kH, kW] (transposed);
# padding as (top, bottom, left, right). Loops over groups and kernel taps, einsum inside.
def _conv_windows(xp, kh, kw, stride, dilation, out_hw):
    """xp[:, :, kh*dh + oh*sh, kw*dw + ow*sw] for every output position: [N, C, OH, OW]."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return xp[:, :, kh * dh: kh * dh + sh * (oh - 1) + 1: sh, kw * dw: kw * dw + sw * (ow - 1) + 1: sw]


def conv2d_output_size(in_hw, kernel_hw, stride, padding, dilation):
    pt, pb, pl, pr = padding
    return tuple((size + p0 + p1 - d * (k - 1) - 1) // s + 1
                 for size, k, s, p0, p1, d in zip(in_hw, kernel_hw, stride, (pt, pl), (pb, pr), dilation))


def _padded(x, padding):
    pt, pb, pl, pr = padding
    return np.pad(f64(x), ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def conv2d_forward(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    w = f64(w)
    n, c, _, _ = x.shape
    o, cg, kh_n, kw_n = w.shape
    og = o // groups
    out_hw = conv2d_output_size(x.shape[2:], (kh_n, kw_n), stride, padding, dilation)
    xp = _padded(x, padding)
    y = np.zeros((n, o) + out_hw)
    for g in range(groups):
        for kh in range(kh_n):
            for kw in range(kw_n):
                win = _conv_windows(xp[:, g * cg:(g + 1) * cg], kh, kw, stride, dilation, out_hw)
                y[:, g * og:(g + 1) * og] += np.einsum("ncij,oc->noij", win, w[g * og:(g + 1) * og, :, kh, kw])
    if b is not None:
        y += f64(b)[None, :, None, None]
    return y


def conv2d_backward_input(dy, w, input_hw, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    dy, w = f64(dy), f64(w)
    n, o = dy.shape[:2]
    _, cg, kh_n, kw_n = w.shape
    og = o // groups
    pt, pb, pl, pr = padding
    dxp = np.zeros((n, cg * groups, input_hw[0] + pt + pb, input_hw[1] + pl + pr))
    out_hw = dy.shape[2:]
    for g in range(groups):
        for kh in range(kh_n):
            for kw in range(kw_n):
                win = _conv_windows(dxp[:, g * cg:(g + 1) * cg], kh, kw, stride, dilation, out_hw)
                win += np.einsum("noij,oc->ncij", dy[:, g * og:(g + 1) * og], w[g * og:(g + 1) * og, :, kh, kw])
    return dxp[:, :, pt:pt + input_hw[0], pl:pl + input_hw[1]]


def conv2d_backward_weight(dy, x, kernel_hw, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    dy = f64(dy)
    o = dy.shape[1]
    c = x.shape[1]
    cg, og = c // groups, o // groups
    xp = _padded(x, padding)
    dw = np.zeros((o, cg) + tuple(kernel_hw))
    for g in range(groups):
        for kh in range(kernel_hw[0]):
            for kw in range(kernel_hw[1]):
                win = _conv_windows(xp[:, g * cg:(g + 1) * cg], kh, kw, stride, dilation, dy.shape[2:])
                dw[g * og:(g + 1) * og, :, kh, kw] = np.einsum("noij,ncij->oc", dy[:, g * og:(g + 1) * og], win)
    return dw


def conv_backward_bias(dy):
    dy = f64(dy)
    return dy.sum(axis=tuple(d for d in range(dy.ndim) if d != 1))


def sum_dims(x, dim_begin, dim_end):
    """The sum of x over the consecutive dims [dim_begin, dim_end)."""
    return f64(x).sum(axis=tuple(range(dim_begin, dim_end)))


def vector_norm(x, ord):
    """||x||_ord of the flattened x: max/min |x| for +-inf (0 / inf for no elements), the count
    of non-zeros for 0, else (sum |x|^ord)^(1/ord)."""
    a = np.abs(f64(x).ravel())
    if ord == np.inf:
        return a.max() if a.size else 0.0
    if ord == -np.inf:
        return a.min() if a.size else np.inf
    if ord == 0:
        return float(np.count_nonzero(a))
    with np.errstate(divide="ignore"):
        return (a ** ord).sum() ** (1.0 / ord)


def conv_same_padding(kernel_hw, dilation):
    """PyTorch's padding='same': the total d*(k-1) split with the odd one at the bottom/right."""
    (kh, kw), (dh, dw) = kernel_hw, dilation
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return th // 2, th - th // 2, tw // 2, tw - tw // 2


# Transposed conv: every input pixel scatters weight * x onto the output, then `padding` is
# cropped from each side (output_padding adds rows/columns at the bottom/right).
def _transpose_full_size(in_hw, kernel_hw, stride, dilation, output_padding):
    return tuple((i - 1) * s + d * (k - 1) + 1 + op
                 for i, k, s, d, op in zip(in_hw, kernel_hw, stride, dilation, output_padding))


def conv_transpose2d_forward(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                             dilation=(1, 1)):
    x, w = f64(x), f64(w)
    n, cin, h, wd = x.shape
    _, cog, kh_n, kw_n = w.shape
    cig = cin // groups
    full = np.zeros((n, cog * groups) + _transpose_full_size((h, wd), (kh_n, kw_n), stride, dilation, output_padding))
    for g in range(groups):
        for kh in range(kh_n):
            for kw in range(kw_n):
                win = _conv_windows(full[:, g * cog:(g + 1) * cog], kh, kw, stride, dilation, (h, wd))
                win += np.einsum("ncij,co->noij", x[:, g * cig:(g + 1) * cig], w[g * cig:(g + 1) * cig, :, kh, kw])
    (ph, pw), (fh, fw) = padding, full.shape[2:]
    y = full[:, :, ph:fh - ph, pw:fw - pw]
    if b is not None:
        y = y + f64(b)[None, :, None, None]
    return y


def _transpose_grad_full(dy, in_hw, kernel_hw, stride, padding, dilation):
    """grad_output placed back into the uncropped output (zeros where padding was cropped)."""
    (ph, pw), oh, ow = padding, dy.shape[2], dy.shape[3]
    fh = max(_transpose_full_size(in_hw, kernel_hw, stride, dilation, (0, 0))[0], ph + oh + ph)
    fw = max(_transpose_full_size(in_hw, kernel_hw, stride, dilation, (0, 0))[1], pw + ow + pw)
    full = np.zeros(dy.shape[:2] + (fh, fw))
    full[:, :, ph:ph + oh, pw:pw + ow] = f64(dy)
    return full


def conv_transpose2d_backward_input(dy, w, in_hw, stride=(1, 1), padding=(0, 0), groups=1, dilation=(1, 1)):
    w = f64(w)
    cin, cog, kh_n, kw_n = w.shape
    cig = cin // groups
    full = _transpose_grad_full(dy, in_hw, (kh_n, kw_n), stride, padding, dilation)
    dx = np.zeros((dy.shape[0], cin) + tuple(in_hw))
    for g in range(groups):
        for kh in range(kh_n):
            for kw in range(kw_n):
                win = _conv_windows(full[:, g * cog:(g + 1) * cog], kh, kw, stride, dilation, in_hw)
                dx[:, g * cig:(g + 1) * cig] += np.einsum("noij,co->ncij", win, w[g * cig:(g + 1) * cig, :, kh, kw])
    return dx


def conv_transpose2d_backward_weight(dy, x, kernel_hw, stride=(1, 1), padding=(0, 0), groups=1, dilation=(1, 1)):
    x = f64(x)
    n, cin, h, wd = x.shape
    cog = dy.shape[1] // groups
    cig = cin // groups
    full = _transpose_grad_full(dy, (h, wd), kernel_hw, stride, padding, dilation)
    dw = np.zeros((cin, cog) + tuple(kernel_hw))
    for g in range(groups):
        for kh in range(kernel_hw[0]):
            for kw in range(kernel_hw[1]):
                win = _conv_windows(full[:, g * cog:(g + 1) * cog], kh, kw, stride, dilation, (h, wd))
                dw[g * cig:(g + 1) * cig, :, kh, kw] = np.einsum("noij,ncij->co", win, x[:, g * cig:(g + 1) * cig])
    return dw


# -------------------------------------------------------------------------------------- pooling
# Plain loops over [P, H, W] planes (leading dimensions flattened), PyTorch's definitions.
def pool_output_size(size, kernel, pad, stride, dilation=1, ceil_mode=False):
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * pad - span + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _planes(x):
    x = f64(x)
    return x.reshape((-1,) + x.shape[-2:]), x.shape[:-2]


def max_pool2d(x, kernel, stride, pad, dilation=(1, 1), ceil_mode=False):
    """(y, indices): scan each window row by row from -inf; a greater value or a NaN replaces."""
    planes, lead = _planes(x)
    _, h, w = planes.shape
    oh = pool_output_size(h, kernel[0], pad[0], stride[0], dilation[0], ceil_mode)
    ow = pool_output_size(w, kernel[1], pad[1], stride[1], dilation[1], ceil_mode)
    y = np.empty((len(planes), oh, ow))
    indices = np.empty((len(planes), oh, ow), dtype=np.int64)
    for p, plane in enumerate(planes):
        for i in range(oh):
            for j in range(ow):
                best, at = -math.inf, None
                for a in range(kernel[0]):
                    for b in range(kernel[1]):
                        r, c = i * stride[0] - pad[0] + a * dilation[0], j * stride[1] - pad[1] + b * dilation[1]
                        if 0 <= r < h and 0 <= c < w and (plane[r, c] > best or math.isnan(plane[r, c])):
                            best, at = plane[r, c], r * w + c
                y[p, i, j], indices[p, i, j] = best, at
    return y.reshape(lead + (oh, ow)), indices.reshape(lead + (oh, ow))


def max_pool2d_backward(grad_out, indices, input_size):
    g, lead = _planes(grad_out)
    idx = np.asarray(indices).reshape(g.shape)
    dx = np.zeros((len(g), input_size[0] * input_size[1]))
    for p in range(len(g)):
        np.add.at(dx[p], idx[p].ravel(), g[p].ravel())
    return dx.reshape(lead + tuple(input_size))


def _avg_windows(h, w, kernel, stride, pad, ceil_mode, count_include_pad, divisor_override):
    """[(i, j, rows, cols, divisor)] for every output of avg_pool2d."""
    oh = pool_output_size(h, kernel[0], pad[0], stride[0], 1, ceil_mode)
    ow = pool_output_size(w, kernel[1], pad[1], stride[1], 1, ceil_mode)
    windows = []
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0] - pad[0], j * stride[1] - pad[1]
            r1, c1 = min(r0 + kernel[0], h + pad[0]), min(c0 + kernel[1], w + pad[1])
            rows = range(max(r0, 0), min(r1, h))
            cols = range(max(c0, 0), min(c1, w))
            divisor = divisor_override or ((r1 - r0) * (c1 - c0) if count_include_pad else len(rows) * len(cols))
            windows.append((i, j, rows, cols, divisor))
    return (oh, ow), windows


def avg_pool2d(x, kernel, stride, pad, ceil_mode=False, count_include_pad=True, divisor_override=None):
    planes, lead = _planes(x)
    (oh, ow), windows = _avg_windows(*planes.shape[1:], kernel, stride, pad, ceil_mode, count_include_pad,
                                     divisor_override)
    y = np.zeros((len(planes), oh, ow))
    for i, j, rows, cols, divisor in windows:
        for r in rows:
            for c in cols:
                y[:, i, j] += planes[:, r, c] / divisor
    return y.reshape(lead + (oh, ow))


def avg_pool2d_backward(grad_out, input_size, kernel, stride, pad, ceil_mode=False, count_include_pad=True,
                        divisor_override=None):
    g, lead = _planes(grad_out)
    _, windows = _avg_windows(*input_size, kernel, stride, pad, ceil_mode, count_include_pad, divisor_override)
    dx = np.zeros((len(g),) + tuple(input_size))
    for i, j, rows, cols, divisor in windows:
        for r in rows:
            for c in cols:
                dx[:, r, c] += g[:, i, j] / divisor
    return dx.reshape(lead + tuple(input_size))


def _adaptive_range(i, out, size):
    return range(math.floor(i * size / out), math.ceil((i + 1) * size / out))


def adaptive_avg_pool2d(x, output_size):
    planes, lead = _planes(x)
    _, h, w = planes.shape
    y = np.empty((len(planes),) + tuple(output_size))
    for i in range(output_size[0]):
        for j in range(output_size[1]):
            rows, cols = _adaptive_range(i, output_size[0], h), _adaptive_range(j, output_size[1], w)
            y[:, i, j] = planes[:, rows.start:rows.stop, cols.start:cols.stop].mean(axis=(1, 2))
    return y.reshape(lead + tuple(output_size))


def adaptive_avg_pool2d_backward(grad_out, input_size):
    g, lead = _planes(grad_out)
    oh, ow = g.shape[1:]
    dx = np.zeros((len(g),) + tuple(input_size))
    for i in range(oh):
        for j in range(ow):
            rows, cols = _adaptive_range(i, oh, input_size[0]), _adaptive_range(j, ow, input_size[1])
            dx[:, rows.start:rows.stop, cols.start:cols.stop] += (g[:, i, j] / (len(rows) * len(cols)))[:, None, None]
    return dx.reshape(lead + tuple(input_size))


def nearest_source(dst, size, out, scale_factor=None):
    """PyTorch's 'nearest' rule, with its single-precision arithmetic."""
    if out == size:
        return dst
    if out == 2 * size:
        return dst // 2
    if dst == 0:  # floor(0 * scale) = 0, even where a tiny scale factor makes the scale infinite
        return 0
    with np.errstate(over="ignore"):
        scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(size) / np.float32(out)
        source = np.floor(np.float32(dst) * scale)
    return size - 1 if source >= size - 1 else int(source)  # inf included


def upsample_nearest2d(x, output_size, scale_factors=(None, None)):
    planes, lead = _planes(x)
    _, h, w = planes.shape
    rows = [nearest_source(i, h, output_size[0], scale_factors[0]) for i in range(output_size[0])]
    cols = [nearest_source(j, w, output_size[1], scale_factors[1]) for j in range(output_size[1])]
    return planes[:, rows][:, :, cols].reshape(lead + tuple(output_size))


def upsample_nearest2d_backward(grad_out, input_size, scale_factors=(None, None)):
    g, lead = _planes(grad_out)
    oh, ow = g.shape[1:]
    dx = np.zeros((len(g),) + tuple(input_size))
    for i in range(oh):
        for j in range(ow):
            r = nearest_source(i, input_size[0], oh, scale_factors[0])
            c = nearest_source(j, input_size[1], ow, scale_factors[1])
            dx[:, r, c] += g[:, i, j]
    return dx.reshape(lead + tuple(input_size))


# -------------------------------------------------------------------------------- normalisation
def batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps):
    """(y, new_running_mean, new_running_var) for x [N, C, ...]; running stats may be None."""
    x = f64(x)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    count = x.size // x.shape[1]
    if training:
        mean = x.mean(axis=axes)
        var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)
        if running_mean is not None:
            running_mean = (1 - momentum) * f64(running_mean) + momentum * mean
            running_var = (1 - momentum) * f64(running_var) + momentum * var * count / (count - 1)
    else:
        mean, var = f64(running_mean), f64(running_var)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * f64(weight).reshape(shape)
    if bias is not None:
        y = y + f64(bias).reshape(shape)
    return y, running_mean, running_var


def batch_norm_backward(grad_out, x, weight, training, eps, running_var=None):
    """(grad_x, grad_weight, grad_bias), differentiating the batch statistics when training."""
    x, g = f64(x), f64(grad_out)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    count = x.size // x.shape[1]
    w = np.ones(x.shape[1]) if weight is None else f64(weight)
    mean = x.mean(axis=axes).reshape(shape)
    var = ((x - mean) ** 2).mean(axis=axes).reshape(shape) if training else f64(running_var).reshape(shape)
    invstd = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * invstd
    grad_bias = g.sum(axis=axes)
    grad_weight = (g * x_hat).sum(axis=axes)
    g_hat = g * w.reshape(shape)
    if training:
        grad_x = invstd * (g_hat - g_hat.sum(axis=axes).reshape(shape) / count
                           - x_hat * (g_hat * x_hat).sum(axis=axes).reshape(shape) / count)
    else:
        grad_x = g_hat * invstd
    return grad_x, grad_weight, grad_bias


def batch_norm_eval_mean_backward(grad_out, x, weight, running_mean, running_var, eps):
    """grad_weight in evaluation: sum of grad_out * (x - running_mean) / sqrt(running_var + eps)."""
    x, g = f64(x), f64(grad_out)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (g * (x - f64(running_mean).reshape(shape)) / np.sqrt(f64(running_var).reshape(shape) + eps)).sum(axis=axes)


def layer_norm(x, normalized_ndim, weight=None, bias=None, eps=1e-5):
    x = f64(x)
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * f64(weight)
    if bias is not None:
        y = y + f64(bias)
    return y


def layer_norm_backward(grad_out, x, normalized_ndim, weight=None, eps=1e-5):
    """(grad_x, grad_weight, grad_bias) of layer_norm."""
    x, g = f64(x), f64(grad_out)
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    lead = tuple(range(x.ndim - normalized_ndim))
    count = math.prod(x.shape[-normalized_ndim:])
    mean = x.mean(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * invstd
    g_hat = g if weight is None else g * f64(weight)
    grad_x = invstd * (g_hat - g_hat.sum(axis=axes, keepdims=True) / count
                       - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True) / count)
    return grad_x, (g * x_hat).sum(axis=lead), g.sum(axis=lead)


# -------------------------------------------------------------------------------------- padding
_NP_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_pairs(ndim, pad):
    """PyTorch's flat pad (last dimension first) as NumPy's per-dimension (before, after) list."""
    k = len(pad) // 2
    pairs = [(0, 0)] * (ndim - k)
    for d in range(k):
        pairs.append((pad[2 * (k - 1 - d)], pad[2 * (k - 1 - d) + 1]))
    return pairs


def pad(x, pad, mode="constant", value=0.0):
    """F.pad: negative pads crop first, then np.pad adds the positive ones."""
    pairs = _pad_pairs(x.ndim, pad)
    crop = tuple(slice(max(0, -b), x.shape[d] - max(0, -a)) for d, (b, a) in enumerate(pairs))
    positive = [(max(0, b), max(0, a)) for b, a in pairs]
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return np.pad(f64(x)[crop], positive, mode=_NP_PAD_MODES[mode], **kwargs)


def pad_backward(grad_out, input_shape, pad_, mode="constant"):
    """The adjoint of pad: each output gradient added to the input element it copies."""
    sources = np.arange(math.prod(input_shape), dtype=np.float64).reshape(input_shape)
    source = pad(sources, pad_, mode, value=-1.0).astype(np.int64).reshape(-1)
    dx = np.zeros(math.prod(input_shape))
    inside = source >= 0
    np.add.at(dx, source[inside], f64(grad_out).reshape(-1)[inside])
    return dx.reshape(input_shape)


# -------------------------------------------------------------------------------- interpolation
def _cubic_weight(x, a=-0.75):
    x = abs(x)
    if x <= 1:
        return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1
    if x < 2:
        return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a
    return 0.0


def interpolation_matrix(in_size, out_size, mode, align_corners, scale_factor=None, taps=False):
    """[out, in] matrix of one axis of linear / cubic interpolation with PyTorch's index rules;
    taps=True: 1 for each input an output reads (also with weight 0, where a NaN still spreads)."""
    m = np.zeros((out_size, in_size))
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        scale = 1.0 / scale_factor if scale_factor else in_size / out_size
    for o in range(out_size):
        src = scale * o if align_corners else scale * (o + 0.5) - 0.5
        if mode == "linear":
            if in_size == out_size and not align_corners:
                m[o, o] = 1.0
                continue
            src = max(src, 0.0)
            i0 = min(int(src), in_size - 1)
            i1 = min(i0 + 1, in_size - 1)
            lam = min(max(src - i0, 0.0), 1.0)
            m[o, i0] += 1.0 if taps else 1 - lam
            m[o, i1] += 1.0 if taps else lam
        else:
            i = math.floor(src)
            t = src - i
            for j in range(-1, 3):
                m[o, min(max(i + j, 0), in_size - 1)] += 1.0 if taps else _cubic_weight(t - j)
    return m


def _interp_matrices(in_shape, out_size, mode, align_corners, scale_factors, taps=False):
    scales = list(scale_factors) if scale_factors else [None] * len(out_size)
    if len(out_size) == 1:
        return np.ones((1, 1)), interpolation_matrix(in_shape[-1], out_size[0], mode, align_corners, scales[0], taps)
    return (interpolation_matrix(in_shape[-2], out_size[0], mode, align_corners, scales[0], taps),
            interpolation_matrix(in_shape[-1], out_size[1], mode, align_corners, scales[1], taps))


def _interp_apply(formula, values, args):
    """einsum of the interpolation matrices with values, NaN-faithful: a NaN reaches the elements
    that read it (through a tap, as in the kernels), not every element of its plane, as 0 * NaN in
    a whole-matrix product would make it."""
    nan = np.isnan(values)
    result = np.einsum(formula, args[0], np.where(nan, 0.0, values), args[1])
    if nan.any():
        taps = _interp_matrices(*args[2:], taps=True)
        result[np.einsum(formula, taps[0], nan.astype(np.float64), taps[1]) > 0] = np.nan
    return result


def interpolate(x, out_size, mode, align_corners=False, scale_factors=None):
    """x [N, C, L] or [N, C, H, W] resized: y = Wh x Ww^T per plane."""
    wh, ww = _interp_matrices(x.shape, out_size, mode, align_corners, scale_factors)
    planes = f64(x).reshape(x.shape[0], x.shape[1], -1, x.shape[-1])
    y = _interp_apply("oh,nchw,pw->ncop", planes, (wh, ww, x.shape, out_size, mode, align_corners, scale_factors))
    return y.reshape(x.shape[:2] + tuple(out_size))


def interpolate_backward(grad_out, in_shape, mode, align_corners=False, scale_factors=None):
    out_size = grad_out.shape[2:]
    wh, ww = _interp_matrices(in_shape, out_size, mode, align_corners, scale_factors)
    g = f64(grad_out).reshape(grad_out.shape[0], grad_out.shape[1], -1, grad_out.shape[-1])
    return _interp_apply("oh,ncop,pw->nchw", g, (wh, ww, in_shape, out_size, mode, align_corners,
                                                 scale_factors)).reshape(in_shape)


# ----------------------------------------------------------------------------------- group norm
def group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    """y, mean [N, G], rstd [N, G] of x [N, C, *]."""
    n, c = x.shape[:2]
    xg = f64(x).reshape(n, groups, -1)
    mean = xg.mean(-1)
    rstd = 1 / np.sqrt(xg.var(-1) + eps)
    y = ((xg - mean[..., None]) * rstd[..., None]).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * f64(weight).reshape(shape)
    if bias is not None:
        y = y + f64(bias).reshape(shape)
    return y, mean, rstd


def group_norm_backward(grad_out, x, groups, weight=None, eps=1e-5):
    """dx, dweight, dbias."""
    n, c = x.shape[:2]
    _, mean, rstd = group_norm(x, groups, eps=eps)
    xhat = ((f64(x).reshape(n, groups, -1) - mean[..., None]) * rstd[..., None]).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    g = f64(grad_out) * (f64(weight).reshape(shape) if weight is not None else 1.0)
    gg, xh = g.reshape(n, groups, -1), xhat.reshape(n, groups, -1)
    dx = rstd[..., None] * (gg - gg.mean(-1, keepdims=True) - xh * (gg * xh).mean(-1, keepdims=True))
    axes = (0,) + tuple(range(2, x.ndim))
    return dx.reshape(x.shape), (f64(grad_out) * xhat).sum(axes), f64(grad_out).sum(axes)


# -------------------------------------------------------------------------------- pixel shuffle
def pixel_shuffle(x, r):
    """[*, C r^2, H, W] -> [*, C, H r, W r] by the index formula, one element at a time."""
    *lead, c, h, w = x.shape
    flat = f64(x).reshape(-1, c, h, w)
    out = np.zeros((flat.shape[0], c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = flat[:, ch * r * r + i * r + j]
    return out.reshape(tuple(lead) + out.shape[1:])


# ----------------------------------------------- indexing, sorting and scans (loops, for clarity)
def gather(x, dim, index):
    """out[i, j, k] = x[..., index[i, j, k] at dim, ...]."""
    x, out = f64(x), np.empty(index.shape)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def scatter_add(x, dim, index, src):
    """x with x[..., index[i, j, k] at dim, ...] += src[i, j, k] for every element of index."""
    out = f64(x).copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        out[tuple(dst)] += src[pos]
    return out


def sort_rows(x, descending=False):
    """(values, indices) of the last dim sorted, ties in their original order (insertion sort)."""
    x = f64(x)
    values, indices = np.empty_like(x), np.empty(x.shape, dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-1]):
        order = []
        for i in range(x.shape[-1]):
            at = len(order)
            while at > 0 and ((x[lead][order[at - 1]] < x[lead][i]) if descending else (x[lead][order[at - 1]] > x[lead][i])):
                at -= 1
            order.insert(at, i)
        indices[lead] = order
        values[lead] = x[lead][order]
    return values, indices


def cumsum_last(x):
    x = f64(x)
    out = np.empty_like(x)
    for lead in np.ndindex(*x.shape[:-1]):
        total = 0.0
        for i in range(x.shape[-1]):
            total += x[lead][i]
            out[lead + (i,)] = total
    return out


def prod_last_backward(grad_out, x):
    """d(prod over the last dim)/dx: the product of the other elements of the row, times grad."""
    x = f64(x)
    out = np.empty_like(x)
    for lead in np.ndindex(*x.shape[:-1]):
        for i in range(x.shape[-1]):
            others = 1.0
            for j in range(x.shape[-1]):
                if j != i:
                    others *= x[lead][j]
            out[lead + (i,)] = others * grad_out[lead]
    return out


def p_norm(x, p, axis):
    x = np.abs(f64(x))
    if p == np.inf:
        return x.max(axis=axis)
    return (x ** p).sum(axis=axis) ** (1.0 / p)


def cdist(x1, x2, p):
    x1, x2 = f64(x1), f64(x2)
    out = np.empty((x1.shape[0], x2.shape[0]))
    for i in range(x1.shape[0]):
        for j in range(x2.shape[0]):
            out[i, j] = p_norm(x1[i] - x2[j], p, None)
    return out
