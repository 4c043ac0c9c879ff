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
