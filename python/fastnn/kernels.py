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


# ----------------------------------------------------------------------------------- activations
# Every activation takes x (float32/float64, any layout) and an optional `out` (C-contiguous,
# same shape and dtype, writeable; it may be x itself for in-place). Backward takes grad_out and
# what the derivative needs: the forward output y for sigmoid and tanh, the input x otherwise.
# Semantics are PyTorch's, NaN included (relu'(0) = 0; NaN in, NaN out).
def relu_forward(x, out=None):
    """y = max(x, 0)."""
    return _C.relu_forward(x, out)


def relu_backward(grad_out, x, out=None):
    """grad_in = grad_out where x > 0, else 0."""
    return _C.relu_backward(grad_out, x, out)


def leaky_relu_forward(x, negative_slope=0.01, out=None):
    """y = x if x > 0 else negative_slope * x."""
    return _C.leaky_relu_forward(x, negative_slope, out)


def leaky_relu_backward(grad_out, x, negative_slope=0.01, out=None):
    """grad_in = grad_out * (1 if x > 0 else negative_slope)."""
    return _C.leaky_relu_backward(grad_out, x, negative_slope, out)


def elu_forward(x, alpha=1.0, out=None):
    """y = x if x > 0 else alpha * (exp(x) - 1)."""
    return _C.elu_forward(x, alpha, out)


def elu_backward(grad_out, x, alpha=1.0, out=None):
    """grad_in = grad_out * (1 if x > 0 else alpha * exp(x))."""
    return _C.elu_backward(grad_out, x, alpha, out)


def sigmoid_forward(x, out=None):
    """y = 1 / (1 + exp(-x))."""
    return _C.sigmoid_forward(x, out)


def sigmoid_backward(grad_out, y, out=None):
    """grad_in = grad_out * y * (1 - y), from the forward output y."""
    return _C.sigmoid_backward(grad_out, y, out)


def tanh_forward(x, out=None):
    """y = tanh(x)."""
    return _C.tanh_forward(x, out)


def tanh_backward(grad_out, y, out=None):
    """grad_in = grad_out * (1 - y**2), from the forward output y."""
    return _C.tanh_backward(grad_out, y, out)


def silu_forward(x, out=None):
    """y = x * sigmoid(x)."""
    return _C.silu_forward(x, out)


def silu_backward(grad_out, x, out=None):
    """grad_in = grad_out * s * (1 + x * (1 - s)), s = sigmoid(x)."""
    return _C.silu_backward(grad_out, x, out)


def gelu_forward(x, approximate="none", out=None):
    """y = x * Phi(x) (approximate="none", erf form) or the tanh approximation ("tanh")."""
    return _C.gelu_forward(x, approximate, out)


def gelu_backward(grad_out, x, approximate="none", out=None):
    """grad_in = grad_out * d gelu / dx, for the same `approximate` as the forward."""
    return _C.gelu_backward(grad_out, x, approximate, out)


def softplus_forward(x, beta=1.0, threshold=20.0, out=None):
    """y = log(1 + exp(beta * x)) / beta, and y = x where beta * x > threshold."""
    return _C.softplus_forward(x, beta, threshold, out)


def softplus_backward(grad_out, x, beta=1.0, threshold=20.0, out=None):
    """grad_in = grad_out * sigmoid(beta * x), and grad_out where beta * x > threshold."""
    return _C.softplus_backward(grad_out, x, beta, threshold, out)


# --------------------------------------------------------------------------------------- softmax
def softmax_forward(x, dim=-1, out=None):
    """y = exp(x - max) / sum(exp(x - max)) along `dim`; numerically stable for any x."""
    return _C.softmax_forward(x, dim, out)


def softmax_backward(grad_out, y, dim=-1, out=None):
    """grad_in = y * (grad_out - sum(grad_out * y, dim)), from the forward output y."""
    return _C.softmax_backward(grad_out, y, dim, out)


def log_softmax_forward(x, dim=-1, out=None):
    """y = x - max - log(sum(exp(x - max))) along `dim`."""
    return _C.log_softmax_forward(x, dim, out)


def log_softmax_backward(grad_out, y, dim=-1, out=None):
    """grad_in = grad_out - exp(y) * sum(grad_out, dim), from the forward output y."""
    return _C.log_softmax_backward(grad_out, y, dim, out)


# --------------------------------------------------------------------------------- cross-entropy
def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean",
                          log_probs=None):
    """Fused log-softmax + negative log-likelihood, as torch.nn.functional.cross_entropy.

    logits: [N, C] float (move the class dim of [N, C, d1, ...] to the end and flatten first).
    target: [N] integer class indices (int64 is used; any index that is neither in [0, C) nor
    ignore_index raises ValueError), or [N, C] class probabilities of the logits' dtype.
    weight: None or [C] class weights. reduction: "mean" (divided by the summed weights of the
    non-ignored targets; for probabilities by N), "sum" or "none" (per-row losses [N]).
    Returns (loss, log_probs): loss is a 0-d array (mean, sum) or [N] (none); log_probs [N, C]
    (written into `log_probs` when given) is what cross_entropy_backward needs.
    """
    return _C.cross_entropy_forward(logits, target, weight, ignore_index, label_smoothing, reduction, log_probs)


def cross_entropy_backward(grad_loss, log_probs, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                           reduction="mean", out=None):
    """Gradient of cross_entropy_forward's loss with respect to the logits, [N, C].

    grad_loss: one number (a float or size-1 array) for mean/sum, an [N] array for none.
    log_probs: the forward's second result; the other arguments as given to the forward.
    """
    return _C.cross_entropy_backward(grad_loss, log_probs, target, weight, ignore_index, label_smoothing, reduction,
                                     out)


# --------------------------------------------------------------------------------------- dropout
def dropout_forward(x, p, seed, offset=0, out=None, mask=None):
    """y = x * mask / (1 - p), mask[i] = 1 with probability 1 - p (p = 1: y = x * 0).

    The mask comes from Philox4x32-10 keyed by `seed` (0 <= seed < 2**64) at stream position
    offset + i, so it depends on (seed, offset + i) only, never on the thread count; advance
    `offset` by x.size between calls with one seed. Returns (y, mask) with mask uint8 of x's shape.
    """
    return _C.dropout_forward(x, p, seed, offset, out, mask)


def dropout_backward(grad_out, mask, p, out=None):
    """grad_in = grad_out * mask / (1 - p) (0 when p = 1); mask uint8 or bool from the forward."""
    return _C.dropout_backward(grad_out, mask, p, out)


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


# ------------------------------------------------------------------------------ embeddings
def embedding_forward(weight, indices, out=None):
    """out[..., :] = weight[indices[...], :]; weight [V, D], integer indices (each in [0, V),
    else ValueError naming the index). out: None or indices.shape + (D,)."""
    return _C.embedding_forward(weight, indices, out)


def embedding_backward(grad_out, indices, num_embeddings, padding_idx=-1, out=None):
    """grad_weight [V, D]: grad_out rows summed per index (in index order, for any thread count);
    the row padding_idx (-1: none) stays zero."""
    return _C.embedding_backward(grad_out, indices, num_embeddings, padding_idx, out)


def gather_forward(x, index, dim, out=None):
    """out[o, k, i] = x[o, index[o, k, i], i] with x seen as [O, N, I] around `dim`; index: int64 of
    x's shape except at dim, each in [0, N). out: None or index.shape, x's dtype."""
    return _C.gather_forward(x, index, dim, out)


def scatter_add_forward(out, src, index, dim):
    """out[o, index[o, k, i], i] += src[o, k, i] in place (in the order of k, for any thread count);
    src and index of one shape, out's shape except at dim. Returns out."""
    return _C.scatter_add_forward(out, src, index, dim)


# ------------------------------------------------------------------------------- attention
def attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=1.0, out=None):
    """out = softmax(scale * q k^T + mask) v per block: query [N, Tq, E], key [N, Tk, E], value
    [N, Tk, Ev]; attn_mask: None or a float additive mask broadcastable to [N, Tq, Tk] (size-1
    dims broadcast); is_causal hides key j from query i when j > i. Fully masked rows give 0."""
    return _C.attention_forward(query, key, value, attn_mask, is_causal, scale, out)


def attention_backward(grad_out, query, key, value, attn_mask=None, is_causal=False, scale=1.0,
                       need_grad_mask=False):
    """(grad_query, grad_key, grad_value, grad_mask or None); the probabilities are recomputed.
    grad_mask is [N, Tq, Tk] (dS), returned when need_grad_mask."""
    return _C.attention_backward(grad_out, query, key, value, attn_mask, is_causal, scale, need_grad_mask)


# ------------------------------------------------------------------------------ recurrent layers
# One layer, one direction, PyTorch layouts: x [T, B, I] (time-major), states [B, H],
# weight_ih [G*H, I], weight_hh [G*H, H], biases [G*H] or both None (G = 4 LSTM i,f,g,o; 3 GRU
# r,z,n; 1 RNN). h0 / c0 None means zeros. `reverse` runs t = T-1 .. 0 (y[t] is still the state
# after input t). Forward returns the output and what backward needs: `cell` [T, B, H] (LSTM cell
# states) and `gates` [T, B, 4H] (LSTM activated i,f,g,o; GRU r, z, n, W_hn h + b_hn). Backward
# takes the gradients of y and of the final states (None for zeros) and returns
# (dx or None when input_grad is False, dh0 / dc0 or None when the state was None, dW_ih, dW_hh,
# db_ih, db_hh or None without bias). Cells are one step: x [B, I], outputs [B, H] / [B, 4H].
def lstm_forward(input, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """-> (y [T, B, H], cell [T, B, H], gates [T, B, 4H]); h_n = y[-1] (reverse: y[0]), likewise c_n."""
    return _C.lstm_forward(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)


def lstm_backward(grad_output, grad_h_n, grad_c_n, input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, output,
                  cell, gates, reverse=False, input_grad=True):
    """-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)."""
    return _C.lstm_backward(grad_output, grad_h_n, grad_c_n, input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh,
                            output, cell, gates, reverse, input_grad)


def gru_forward(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, reverse=False):
    """-> (y [T, B, H], gates [T, B, 4H])."""
    return _C.gru_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)


def gru_backward(grad_output, grad_h_n, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, output, gates,
                 reverse=False, input_grad=True):
    """-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    return _C.gru_backward(grad_output, grad_h_n, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, output, gates,
                           reverse, input_grad)


def rnn_forward(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh", reverse=False):
    """-> y [T, B, H] (nonlinearity 'tanh' or 'relu'); y is all that backward needs."""
    return _C.rnn_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity, reverse)


def rnn_backward(grad_output, grad_h_n, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, output,
                 nonlinearity="tanh", reverse=False, input_grad=True):
    """-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    return _C.rnn_backward(grad_output, grad_h_n, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, output,
                           nonlinearity, reverse, input_grad)


def lstm_cell_forward(input, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """-> (h1, c1, gates [B, 4H])."""
    return _C.lstm_cell_forward(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)


def lstm_cell_backward(grad_h1, grad_c1, input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, c1, gates,
                       input_grad=True):
    """-> (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh); grad_c1 may be None."""
    return _C.lstm_cell_backward(grad_h1, grad_c1, input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, c1, gates,
                                 input_grad)


def gru_cell_forward(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """-> (h1, gates [B, 4H])."""
    return _C.gru_cell_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_cell_backward(grad_h1, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, gates, input_grad=True):
    """-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    return _C.gru_cell_backward(grad_h1, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, gates, input_grad)


def rnn_cell_forward(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """-> h1."""
    return _C.rnn_cell_forward(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)


def rnn_cell_backward(grad_h1, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, h1, nonlinearity="tanh",
                      input_grad=True):
    """-> (dx, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    return _C.rnn_cell_backward(grad_h1, input, h0, weight_ih, weight_hh, bias_ih, bias_hh, h1, nonlinearity,
                                input_grad)


# ----------------------------------------------------------------------------------- convolution
# NC[H]W arrays of one float dtype (non-contiguous inputs are copied), weight [O, C/groups, *k]
# (conv) or [Cin, Cout/groups, *k] (conv_transpose2d). stride/dilation: int or one int per
# spatial dim; padding: the same, or "valid"/"same" for conv (same: stride 1; an even dilated
# kernel pads one more at the end, as PyTorch). out: None (allocated) or a C-contiguous array
# of the result's shape and dtype. algorithm: "auto" (pointwise for 1x1 stride-1 unpadded
# convolutions, else blocked), "im2col" (the simple reference), "blocked" or "pointwise".
def conv2d_forward(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, out=None, algorithm="auto"):
    """y = conv2d(input, weight) + bias: [N, C, H, W] x [O, C/groups, kH, kW] -> [N, O, OH, OW]."""
    return _C.conv2d_forward(input, weight, bias, stride, padding, dilation, groups, out, algorithm)


def conv2d_backward_input(grad_output, weight, input_size, stride=1, padding=0, dilation=1, groups=1, out=None,
                          algorithm="auto"):
    """Gradient of conv2d with respect to its input, of shape input_size (N, C, H, W)."""
    return _C.conv2d_backward_input(grad_output, weight, input_size, stride, padding, dilation, groups, out,
                                    algorithm)


def conv2d_backward_weight(grad_output, input, weight_size, stride=1, padding=0, dilation=1, groups=1, out=None,
                           algorithm="auto"):
    """Gradient of conv2d with respect to its weight, of shape weight_size (O, C/groups, kH, kW)."""
    return _C.conv2d_backward_weight(grad_output, input, weight_size, stride, padding, dilation, groups, out,
                                     algorithm)


def conv_backward_bias(grad_output, out=None):
    """Bias gradient of any conv or conv_transpose: grad_output summed over every dim but 1."""
    return _C.conv_backward_bias(grad_output, out)


def conv1d_forward(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, out=None, algorithm="auto"):
    """y = conv1d(input, weight) + bias: [N, C, L] x [O, C/groups, k] -> [N, O, OL]."""
    return _C.conv1d_forward(input, weight, bias, stride, padding, dilation, groups, out, algorithm)


def conv1d_backward_input(grad_output, weight, input_size, stride=1, padding=0, dilation=1, groups=1, out=None,
                          algorithm="auto"):
    """Gradient of conv1d with respect to its input, of shape input_size (N, C, L)."""
    return _C.conv1d_backward_input(grad_output, weight, input_size, stride, padding, dilation, groups, out,
                                    algorithm)


def conv1d_backward_weight(grad_output, input, weight_size, stride=1, padding=0, dilation=1, groups=1, out=None,
                           algorithm="auto"):
    """Gradient of conv1d with respect to its weight, of shape weight_size (O, C/groups, k)."""
    return _C.conv1d_backward_weight(grad_output, input, weight_size, stride, padding, dilation, groups, out,
                                     algorithm)


def conv_transpose2d_forward(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                             out=None, algorithm="auto"):
    """Transposed conv2d (PyTorch's argument order): [N, Cin, H, W] x [Cin, Cout/groups, kH, kW] ->
    [N, Cout, (H-1)*s - 2*p + d*(kH-1) + output_padding + 1, ...]."""
    return _C.conv_transpose2d_forward(input, weight, bias, stride, padding, output_padding, groups, dilation, out,
                                       algorithm)


def conv_transpose2d_backward_input(grad_output, weight, stride=1, padding=0, groups=1, dilation=1, out=None,
                                    algorithm="auto"):
    """Gradient of conv_transpose2d with respect to its input (a conv2d of grad_output)."""
    return _C.conv_transpose2d_backward_input(grad_output, weight, stride, padding, groups, dilation, out, algorithm)


def conv_transpose2d_backward_weight(grad_output, input, weight_size, stride=1, padding=0, groups=1, dilation=1,
                                     out=None, algorithm="auto"):
    """Gradient of conv_transpose2d with respect to its weight, of shape weight_size."""
    return _C.conv_transpose2d_backward_weight(grad_output, input, weight_size, stride, padding, groups,
                                               dilation, out, algorithm)


# --------------------------------------------------------------------------------------- pooling
# Inputs are [C, H, W] or [N, C, H, W] float32/float64 (every leading dimension a plane); pairs
# (kernel_size, stride, padding, dilation, sizes) are an int or (height, width). Semantics and
# output sizes are PyTorch's (formulas in csrc/cpu/pool.h); `out` as for the activations.
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, out=None, indices=None):
    """(y, indices): window maxima (NaN wins, ties keep the first) and their flat per-plane
    positions ih * W + iw as int64. stride None means kernel_size; padding <= kernel_size / 2."""
    return _C.max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode, out, indices)


def max_pool2d_backward(grad_out, indices, input_size, out=None):
    """grad_in [..., H, W] (input_size = (H, W)): zeros, plus grad_out scattered to `indices`."""
    return _C.max_pool2d_backward(grad_out, indices, input_size, out)


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None, out=None):
    """Window means: the sum over the window inside x divided by divisor_override, or by the window
    size clipped to the padded input (count_include_pad) or to the input."""
    return _C.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, out)


def avg_pool2d_backward(grad_out, input_size, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None, out=None):
    """grad_in [..., H, W]: each grad_out element spread over its window, divided like the forward."""
    return _C.avg_pool2d_backward(grad_out, input_size, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                  divisor_override, out)


def adaptive_avg_pool2d_forward(x, output_size, out=None):
    """Means over windows [floor(i H / OH), ceil((i + 1) H / OH)) (columns alike)."""
    return _C.adaptive_avg_pool2d_forward(x, output_size, out)


def adaptive_avg_pool2d_backward(grad_out, input_size, out=None):
    """grad_in [..., H, W] of adaptive_avg_pool2d_forward."""
    return _C.adaptive_avg_pool2d_backward(grad_out, input_size, out)


def upsample_nearest2d_forward(x, output_size, scale_factors=None, out=None):
    """Nearest-neighbour resize to output_size with PyTorch's index rule; scale_factors (the
    factors interpolate was given, or None when it was given the size) set that rule's scale."""
    return _C.upsample_nearest2d_forward(x, output_size, scale_factors, out)


def upsample_nearest2d_backward(grad_out, input_size, scale_factors=None, out=None):
    """grad_in [..., H, W]: each grad_out element added to its nearest source."""
    return _C.upsample_nearest2d_backward(grad_out, input_size, scale_factors, out)


# ---------------------------------------------------------------------------------- normalisation
def batch_norm_forward(x, weight=None, bias=None, running_mean=None, running_var=None, training=True, momentum=0.1,
                       eps=1e-5, out=None):
    """(y, mean, invstd) for x [N, C, ...]: y = (x - mean) * invstd * weight + bias per channel.

    training: batch statistics (biased variance), and running_mean/running_var (writeable [C]
    arrays of x's dtype, or None) move by `momentum` towards the batch mean and unbiased variance.
    Otherwise mean = running_mean and invstd = 1 / sqrt(running_var + eps).
    """
    return _C.batch_norm_forward(x, weight, bias, running_mean, running_var, training, momentum, eps, out)


def batch_norm_backward(grad_out, x, mean, invstd, weight=None, training=True, input_grad=True, weight_grad=True,
                        bias_grad=True):
    """(grad_x, grad_weight, grad_bias), each None when not asked for; mean, invstd from the forward."""
    return _C.batch_norm_backward(grad_out, x, mean, invstd, weight, training, input_grad, weight_grad, bias_grad)


def layer_norm_forward(x, normalized_shape, weight=None, bias=None, eps=1e-5, out=None):
    """(y, mean, rstd): normalisation over the trailing normalized_shape, y = (x - mean) * rstd *
    weight + bias; mean and rstd have the leading shape x.shape[:-len(normalized_shape)]."""
    return _C.layer_norm_forward(x, normalized_shape, weight, bias, eps, out)


def layer_norm_backward(grad_out, x, mean, rstd, normalized_shape, weight=None, input_grad=True, weight_grad=True,
                        bias_grad=True):
    """(grad_x, grad_weight, grad_bias), each None when not asked for; mean, rstd from the forward."""
    return _C.layer_norm_backward(grad_out, x, mean, rstd, normalized_shape, weight, input_grad, weight_grad,
                                  bias_grad)
