"""nn.functional (import as F): the function form of the layers and losses.

Losses take PyTorch's arguments, including the deprecated size_average/reduce pair. Shape rules:
mse/l1/huber/smooth_l1 broadcast input against target with PyTorch's UserWarning when their
shapes differ (a ValueError when they do not broadcast); binary_cross_entropy(_with_logits)
require equal shapes (ValueError), as PyTorch does.
"""
import math
import warnings

import numpy as np

from fastnn import functions as _fn
from fastnn.autograd import activation as _act
from fastnn.autograd import attention as _attention
from fastnn.autograd import conv as _conv
from fastnn.autograd import dropout as _dropout
from fastnn.autograd import embedding as _embedding
from fastnn.autograd import group_norm as _group_norm
from fastnn.autograd import interpolate as _interpolate
from fastnn.autograd import linear as _linear
from fastnn.autograd import loss as _cls_loss
from fastnn.autograd import norm as _norm
from fastnn.autograd import padding as _padding
from fastnn.autograd import pixel_shuffle as _pixel_shuffle
from fastnn.autograd import pool as _pool
from fastnn.autograd import regression_loss as _loss
from fastnn.autograd import unpool as _unpool
from fastnn.autograd import vector_norm as _vector_norm
from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.engine import is_grad_enabled, no_grad
from fastnn.autograd.inplace import apply_inplace
from fastnn.nn._reduction import check_reduction, legacy_reduction
from fastnn.random import default_generator
from fastnn.tensor import Tensor


def linear(input, weight, bias=None):
    """input @ weight.T + bias, with weight [out_features, in_features]."""
    return _linear.Linear.apply(input, weight, bias)


# ------------------------------------------------------------------------------- validation
def _check_tensor(value, name, function):
    if not isinstance(value, Tensor):
        raise TypeError(f"{function}(): argument '{name}' must be a Tensor, got {type(value).__name__}")


def _check_pair(input, target, function):
    _check_tensor(input, "input", function)
    _check_tensor(target, "target", function)


def _warn_if_broadcast(input, target, function):
    if input.shape == target.shape:
        return
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(f"{function}(): input of shape {tuple(input.shape)} and target of shape "
                         f"{tuple(target.shape)} cannot be broadcast together") from None
    warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                  f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size.", stacklevel=3)


def _constant_broadcasting_to(value, shape, name, function):
    """The array of an optional constant (weight, pos_weight) that must broadcast to `shape`."""
    if value is None:
        return None
    _check_tensor(value, name, function)
    try:
        fits = np.broadcast_shapes(value.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{function}(): {name} of shape {tuple(value.shape)} must broadcast to the target's "
                         f"shape {tuple(shape)}")
    return value._data


def check_huber_delta(delta):
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got delta={delta}")


def check_smooth_l1_beta(beta):
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got beta={beta}")


# ----------------------------------------------------------------------------------- losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2, reduced."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    _check_pair(input, target, "mse_loss")
    _warn_if_broadcast(input, target, "mse_loss")
    return _loss.MSELoss.apply(input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target|, reduced."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    _check_pair(input, target, "l1_loss")
    _warn_if_broadcast(input, target, "l1_loss")
    return _loss.L1Loss.apply(input, target, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Quadratic for |input - target| < delta, linear (slope delta) beyond."""
    reduction = check_reduction(reduction)
    check_huber_delta(delta)
    _check_pair(input, target, "huber_loss")
    _warn_if_broadcast(input, target, "huber_loss")
    return _loss.HuberLoss.apply(input, target, reduction, float(delta))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Quadratic (divided by beta) for |input - target| < beta, |d| - beta/2 beyond; L1 at beta=0."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    check_smooth_l1_beta(beta)
    _check_pair(input, target, "smooth_l1_loss")
    _warn_if_broadcast(input, target, "smooth_l1_loss")
    if beta == 0:
        return _loss.L1Loss.apply(input, target, reduction)
    return _loss.SmoothL1Loss.apply(input, target, reduction, float(beta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w [t log(x) + (1 - t) log(1 - x)] for probabilities x in [0, 1] (logs floored at -100)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    _check_pair(input, target, "binary_cross_entropy")
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    data = input._data
    if data.size and bool(((data < 0) | (data > 1)).any()):
        raise ValueError("binary_cross_entropy(): all elements of input should be between 0 and 1 "
                         "(apply a sigmoid first, or use binary_cross_entropy_with_logits)")
    weight = _constant_broadcasting_to(weight, target.shape, "weight", "binary_cross_entropy")
    return _loss.BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits; pos_weight
    scales the positive term (broadcast over the last dimension: one weight per class)."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    _check_pair(input, target, "binary_cross_entropy_with_logits")
    if target.shape != input.shape:
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})")
    weight = _constant_broadcasting_to(weight, target.shape, "weight", "binary_cross_entropy_with_logits")
    pos_weight = _constant_broadcasting_to(pos_weight, target.shape, "pos_weight", "binary_cross_entropy_with_logits")
    return _loss.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 [log(max(var, eps)) + (input - target)^2 / max(var, eps)] (+ 0.5 log(2 pi) if full).

    var has input's shape, or input's shape with the last dimension 1 or dropped (one variance
    shared by the last dimension), or is a float.
    """
    _check_pair(input, target, "gaussian_nll_loss")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._wrap(xp_for(input._data).full(input.shape, var, dtype=input.dtype))
    _check_tensor(var, "var", "gaussian_nll_loss")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim and input.shape[:-1] == var.shape[:-1] and var.shape[-1] == 1):
            raise ValueError(f"var is of incorrect size: got {tuple(var.shape)} for input of shape "
                             f"{tuple(input.shape)} (expected the input's shape, or it with the last "
                             "dimension 1 or dropped)")
    reduction = check_reduction(reduction)
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    return _loss.GaussianNLLLoss.apply(input, target, var, bool(full), float(eps), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) per element: target (log(target) - input), input being
    log-probabilities (target too when log_target). 'batchmean' divides the sum by the batch size
    (the mathematical KL divergence); 'mean' divides by every element, with PyTorch's warning."""
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction), extra=("batchmean",))
    _check_pair(input, target, "kl_div")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(f"kl_div(): input of shape {tuple(input.shape)} and target of shape "
                         f"{tuple(target.shape)} cannot be broadcast together") from None
    return _loss.KLDivLoss.apply(input, target, bool(log_target), reduction)


# ------------------------------------------------------------------------------- activations
def _maybe_inplace(input, name, compute, inplace):
    """compute(input), or with inplace=True written into input's memory as an in-place op
    (recorded in the graph, with PyTorch's errors on leaves that require grad)."""
    if inplace:
        return apply_inplace(input, name, compute)
    return compute(input)


def relu(input, inplace=False):
    return _maybe_inplace(input, "relu_", _act.ReLU.apply, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _maybe_inplace(input, "leaky_relu_", lambda x: _act.LeakyReLU.apply(x, float(negative_slope)), inplace)


def elu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(input, "elu_", lambda x: _act.ELU.apply(x, float(alpha)), inplace)


def sigmoid(input):
    return _act.Sigmoid.apply(input)


def tanh(input):
    return _act.Tanh.apply(input)


def silu(input, inplace=False):
    return _maybe_inplace(input, "silu_", _act.SiLU.apply, inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act.GELU.apply(input, approximate)


def softplus(input, beta=1.0, threshold=20.0):
    return _act.Softplus.apply(input, float(beta), float(threshold))


def _softmax_dim(input, dim, function):
    """PyTorch's implicit dim for softmax(dim=None): 0 for 0-, 1- and 3-D input, else 1."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {function} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _act.Softmax.apply(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _act.LogSoftmax.apply(input, _softmax_dim(input, dim, "log_softmax"))


# ----------------------------------------------------------------------------------- dropout
def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes elements with probability p and scales the rest by 1 / (1 - p) while training."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    seed = default_generator.next_seed()
    return _maybe_inplace(input, "dropout_", lambda x: _dropout.Dropout.apply(x, float(p), seed), inplace)


def _check_dropout_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, shape, p):
    """A 0/1 array of `shape` (input's dtype and device), each entry 1 with probability 1 - p,
    drawn by the dropout kernel from the default generator."""
    xp = xp_for(input._data)
    ones = xp.ones(shape, dtype=input.dtype)
    mask = kernels_for(ones).dropout_forward(ones, float(p), default_generator.next_seed(), 0, None, None)[1]
    return mask.astype(input.dtype)


def _feature_dropout(input, p, training, inplace, batched_ndim, function):
    """Zeroes whole channels: input [N, C, *] (batched_ndim dims) or unbatched [C, *]."""
    _check_dropout_p(p)
    _check_tensor(input, "input", function)
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise ValueError(f"{function}(): expected a {batched_ndim - 1}-D (unbatched) or {batched_ndim}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    channels = input.shape[:2] if input.ndim == batched_ndim else input.shape[:1]
    shape = tuple(channels) + (1,) * (input.ndim - len(channels))
    if p == 1.0:
        return _maybe_inplace(input, f"{function}_", lambda x: x * 0.0, inplace)
    noise = Tensor._wrap(_keep_mask(input, shape, p) / input.dtype.type(1.0 - p))
    return _maybe_inplace(input, f"{function}_", lambda x: x * noise, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of [N, C, L] (or [C, L]) with probability p, scaling the rest by 1 / (1 - p)."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of [N, C, H, W] (or [C, H, W]) with probability p, scaling the rest by
    1 / (1 - p). A 3-D input is taken as batched [N, C, L] with PyTorch's warning."""
    if isinstance(input, Tensor) and input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, 3, "dropout2d")
    if isinstance(input, Tensor) and input.ndim not in (3, 4) and input.ndim >= 2:
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, input.ndim, "dropout2d")  # dims 0, 1: batch, channel
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


# SELU's -scale * alpha: the value alpha dropout sets dropped units to before the affine correction.
_ALPHA_PRIME = 1.7580993408473766


def _alpha_dropout(input, p, training, inplace, shape, function):
    _check_dropout_p(p)
    _check_tensor(input, "input", function)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_inplace(input, f"{function}_", lambda x: x * 0.0, inplace)
    keep = _keep_mask(input, shape, p)
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    scale = Tensor._wrap(keep * input.dtype.type(a))
    shift = Tensor._wrap(((keep - 1) * _ALPHA_PRIME * a + _ALPHA_PRIME * a * p).astype(input.dtype))
    return _maybe_inplace(input, f"{function}_", lambda x: x * scale + shift, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps mean and variance by setting dropped units to SELU's
    negative saturation and applying an affine correction a x + b (PyTorch's formula)."""
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape), "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels of [N, C, *]."""
    _check_tensor(input, "input", "feature_alpha_dropout")
    if input.ndim < 2:
        raise ValueError(f"feature_alpha_dropout(): expected at least 2-D input [N, C, *], got shape "
                         f"{tuple(input.shape)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, shape, "feature_alpha_dropout")


# ------------------------------------------------------------------------ classification losses
def _class_last(input, target, function):
    """input [N, C, d1, ...] -> [N*d1*..., C] (and target alike); [C] -> [1, C]; [N, C] as is."""
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1) if target.ndim == 0 else target.unsqueeze(0), ()
    if input.ndim == 2:
        return input, target, None
    classes = input.shape[1]
    order = (0,) + tuple(range(2, input.ndim)) + (1,)
    spatial = (input.shape[0],) + tuple(input.shape[2:])
    flat_input = input.permute(order).reshape(-1, classes)
    if target.dtype.kind == "f":
        flat_target = target.permute(order).reshape(-1, classes)
    else:
        if tuple(target.shape) != spatial:
            raise ValueError(f"{function}(): target must have shape {spatial} for input of shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
        flat_target = target.reshape(-1)
    return flat_input, flat_target, spatial


def _check_class_target(input, target, function):
    _check_pair(input, target, function)
    if target.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"{function}(): probability targets must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(target.shape)}")
    elif target.dtype.kind not in "iu":
        raise TypeError(f"{function}(): target must hold class indices (integers) or class probabilities "
                        f"(floats), got dtype {target.dtype}")


def _weight_array(weight, classes, function):
    if weight is None:
        return None
    _check_tensor(weight, "weight", function)
    if tuple(weight.shape) != (classes,):
        raise ValueError(f"{function}(): weight must have shape ({classes},) (one weight per class), "
                         f"got {tuple(weight.shape)}")
    return weight._data


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax + NLL over the class dim (dim 1, or 0 for unbatched [C] input), fused."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    _check_class_target(input, target, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing!r}")
    logits, flat_target, spatial = _class_last(input, target, "cross_entropy")
    if flat_target.dtype.kind == "f" and flat_target.dtype != logits.dtype:
        flat_target = flat_target.to(logits.dtype)
    weights = _weight_array(weight, logits.shape[1], "cross_entropy")
    if weights is not None and weights.dtype != logits.dtype:
        weights = weights.astype(logits.dtype)
    loss = _cls_loss.CrossEntropy.apply(logits, flat_target._data, weights, int(ignore_index),
                                        float(label_smoothing), reduction)
    return _restore_spatial(loss, spatial, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices, given log-probabilities (class dim 1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    _check_pair(input, target, "nll_loss")
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss(): target must hold class indices (integers), got dtype {target.dtype}")
    log_probs, flat_target, spatial = _class_last(input, target, "nll_loss")
    weights = _weight_array(weight, log_probs.shape[1], "nll_loss")
    # the target as it is: NLL compares it with the classes and ignore_index exactly (a uint64 cast to
    # int64 would wrap 2**64 - 100 into ignore_index -100)
    loss = _cls_loss.NLL.apply(log_probs, flat_target._data, weights, int(ignore_index), reduction)
    return _restore_spatial(loss, spatial, reduction)


def _restore_spatial(loss, spatial, reduction):
    if reduction != "none" or spatial is None:
        return loss
    return loss.reshape(spatial)


# ------------------------------------------------------------------------------ embeddings
def _index_array(input, function):
    data = input._data if isinstance(input, Tensor) else input
    if not hasattr(data, "dtype") or data.dtype.kind not in "iu":
        raise TypeError(f"{function}(): argument 'input' must be a Tensor of integer indices, got "
                        f"{getattr(data, 'dtype', type(data).__name__)}")
    return data


def _unsupported(value, default, name, function):
    if value != default:
        raise NotImplementedError(f"{function}(): {name}={value!r} is not supported by fastnn (only {default!r})")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """weight[input]: rows of weight [num_embeddings, embedding_dim] picked by integer indices.

    padding_idx (negative counts from the end) gets no gradient. max_norm: first, without
    recording a graph, every row that input picks whose norm_type-norm exceeds max_norm is
    rescaled in place to norm max_norm (by max_norm / (norm + 1e-7), as PyTorch). scale_grad_by_freq
    and sparse gradients are not supported (NotImplementedError).
    """
    _check_tensor(weight, "weight", "embedding")
    _unsupported(scale_grad_by_freq, False, "scale_grad_by_freq", "embedding")
    _unsupported(sparse, False, "sparse", "embedding")
    if weight.ndim != 2:
        raise ValueError(f"embedding(): weight must be 2-D [num_embeddings, embedding_dim], got shape "
                         f"{tuple(weight.shape)}")
    indices = _index_array(input, "embedding")
    if max_norm is not None:
        _embedding_renorm(weight, indices, float(max_norm), float(norm_type))
    return _embedding.Embedding.apply(weight, indices, _padding_index(padding_idx, weight.shape[0]))


def _embedding_renorm(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows picked by indices with norm > max_norm scaled to max_norm."""
    xp = xp_for(weight._data)
    rows = xp.unique(indices.reshape(-1))
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= weight.shape[0]):
        raise IndexError(f"embedding(): index out of range: indices must be in [0, {weight.shape[0]}), got values "
                         f"in [{int(rows.min())}, {int(rows.max())}]")
    with no_grad():
        picked = Tensor._wrap(weight._data[rows])
        norms = _vector_norm.VectorNorm.apply(picked, norm_type, (1,), False)._data
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(weight.dtype)
        weight._data[rows] *= scale[:, None]


def _padding_index(padding_idx, num_embeddings):
    """padding_idx in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be within num_embeddings = {num_embeddings} (in [{-num_embeddings}, "
                         f"{num_embeddings})), got {padding_idx}")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


# ------------------------------------------------------------------------------- attention
def _additive_mask(attn_mask, dtype, keep_where_true):
    """A float mask (added to the scores) from a bool or float attn_mask. For a bool mask True
    means "takes part" when keep_where_true (scaled_dot_product_attention) and "is masked" otherwise
    (MultiheadAttention's masks), as in PyTorch."""
    if attn_mask is None:
        return None
    data = attn_mask._data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
    if data.dtype == np.bool_:
        hidden = ~data if keep_where_true else data
        return Tensor._wrap(xp_for(data).where(hidden, dtype.type(-np.inf), dtype.type(0)).astype(dtype, copy=False))
    if data.dtype != dtype:
        raise TypeError(f"attn_mask must be bool or have the query's dtype {dtype}, got {data.dtype}")
    return attn_mask if isinstance(attn_mask, Tensor) else Tensor._wrap(data)


def _causal_mask(tq, tk, dtype, xp):
    """Query i sees keys j <= i (top-left aligned, like PyTorch's is_causal), made by the array
    module xp (the query's: no host array on a device)."""
    return Tensor._wrap(xp.triu(xp.full((tq, tk), -np.inf, dtype=dtype), 1))


def _attention_weights(query, key, bias, scale, zero_hidden_rows):
    """softmax(query @ key^T * scale + bias) over the keys, built from differentiable Tensor ops.
    zero_hidden_rows: rows whose keys are all masked give 0 (scaled_dot_product_attention), not
    the softmax's NaN (MultiheadAttention with need_weights=True, as in PyTorch)."""
    scores = (query @ key.transpose(-2, -1)) * scale
    if bias is None:
        return softmax(scores, -1)
    xp = xp_for(bias._data)
    hidden = xp.all(bias._data == -np.inf, axis=-1, keepdims=True) if zero_hidden_rows else None
    if hidden is None or not bool(hidden.any()):
        return softmax(scores + bias, -1)
    bias = _fn.where(Tensor._wrap(xp.broadcast_to(hidden, bias.shape)), 0.0, bias)
    return softmax(scores + bias, -1) * Tensor._wrap((~hidden).astype(scores.dtype))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, with dropout on the weights.

    query [*, L, E], key [*, S, E], value [*, S, Ev] (leading dims broadcast); attn_mask bool
    (True = takes part) or float (added), broadcastable to [*, L, S]; is_causal hides key j from
    query i when j > i (exclusive with attn_mask); scale defaults to 1/sqrt(E). Rows with every key
    masked give zeros. dropout_p = 0 runs the fused kernel; dropout_p > 0 composes the same
    formula from Tensor ops (the weights are materialised) with F.dropout's kernel on them.
    """
    for name, value_ in (("query", query), ("key", key), ("value", value)):
        _check_tensor(value_, name, "scaled_dot_product_attention")
        if value_.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention(): {name} must have at least 2 dims [*, T, E], got shape "
                             f"{tuple(value_.shape)}")
    _unsupported(enable_gqa, False, "enable_gqa", "scaled_dot_product_attention")
    if key.shape[-1] != query.shape[-1] or value.shape[-2] != key.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention(): expected key [*, S, {query.shape[-1]}] and value [*, S, Ev], "
                         f"got query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention(): attn_mask must be None when is_causal=True")
    try:
        lead = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"scaled_dot_product_attention(): the batch dims of query {tuple(query.shape)}, key "
                         f"{tuple(key.shape)} and value {tuple(value.shape)} do not broadcast") from None
    query, key, value = (x if x.shape[:-2] == lead else x.expand(lead + tuple(x.shape[-2:]))
                         for x in (query, key, value))
    tq, tk = query.shape[-2], key.shape[-2]
    bias = _additive_mask(attn_mask, query.dtype, keep_where_true=True)
    if bias is not None:
        try:
            fits = np.broadcast_shapes(bias.shape, lead + (tq, tk)) == lead + (tq, tk)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"scaled_dot_product_attention(): attn_mask of shape {tuple(bias.shape)} does not "
                             f"broadcast to [*, L, S] = {lead + (tq, tk)}")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if dropout_p == 0.0:
        return _attention.ScaledDotProductAttention.apply(query, key, value, bias, bool(is_causal), scale)
    if is_causal:
        bias = _causal_mask(tq, tk, query.dtype, xp_for(query._data))
    weights = _attention_weights(query, key, bias, scale, zero_hidden_rows=True)
    return dropout(weights, dropout_p, training=True) @ value


# ------------------------------------------------------------------------------ convolutions
def _batched(op, input, weight, bias, spatial_dims, function, **options):
    """op applied to input [N, C, *spatial], or to an unbatched [C, *spatial] as a batch of one."""
    _check_tensor(input, "input", function)
    _check_tensor(weight, "weight", function)
    if input.ndim == spatial_dims + 1:
        return op.apply(input.unsqueeze(0), weight, bias, **options).squeeze(0)
    if input.ndim != spatial_dims + 2:
        raise ValueError(f"{function}(): expected a {spatial_dims + 1}-D (unbatched) or {spatial_dims + 2}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    return op.apply(input, weight, bias, **options)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation: input [N, C, L] (or [C, L]), weight [O, C/groups, k]; padding may be
    an int, 'valid' or 'same'."""
    return _batched(_conv.Conv1d, input, weight, bias, 1, "conv1d", stride=stride, padding=padding,
                    dilation=dilation, groups=groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation: input [N, C, H, W] (or [C, H, W]), weight [O, C/groups, kH, kW];
    padding may be an int, a pair, 'valid' or 'same'."""
    return _batched(_conv.Conv2d, input, weight, bias, 2, "conv2d", stride=stride, padding=padding,
                    dilation=dilation, groups=groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input): input
    [N, Cin, H, W] (or [Cin, H, W]), weight [Cin, Cout/groups, kH, kW]."""
    return _batched(_conv.ConvTranspose2d, input, weight, bias, 2, "conv_transpose2d", stride=stride,
                    padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)


# ----------------------------------------------------------------------------------- pooling
# Window arguments are an int or a pair (1-D: an int or a 1-tuple); the kernels check their
# values (positive sizes and strides, padding at most half the kernel, a window that fits the
# padded input) and raise ValueError naming the argument.
def _single(value, name, function):
    """An int argument of a 1-D op, given as an int or a 1-element sequence."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{function}(): {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{function}(): {name} must be an int or a 1-tuple, got {value!r}")
    return int(value)


def _check_pooled_input(input, dims, function):
    """input must be a Tensor with `dims` spatial dimensions, batched or not."""
    _check_tensor(input, "input", function)
    if input.ndim not in (dims + 1, dims + 2):
        layouts = "[C, L] or [N, C, L]" if dims == 1 else "[C, H, W] or [N, C, H, W]"
        raise ValueError(f"{function}(): input must be {dims + 1}-D or {dims + 2}-D ({layouts}), got shape "
                         f"{tuple(input.shape)}")


def _stride_or_kernel(stride, kernel_size):
    """PyTorch's default: stride None (or an empty sequence) means stride = kernel_size."""
    return kernel_size if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else stride


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of the last dimension of [C, L] or [N, C, L]; indices index L."""
    _check_pooled_input(input, 1, "max_pool1d")
    k = _single(kernel_size, "kernel_size", "max_pool1d")
    s = _single(_stride_or_kernel(stride, k), "stride", "max_pool1d")
    p = _single(padding, "padding", "max_pool1d")
    d = _single(dilation, "dilation", "max_pool1d")
    return _pool.MaxPool.apply(input, (1, k), (1, s), (0, p), (1, d), bool(ceil_mode), bool(return_indices), True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of [C, H, W] or [N, C, H, W]; indices are flat per-plane positions h * W + w."""
    _check_pooled_input(input, 2, "max_pool2d")
    return _pool.MaxPool.apply(input, kernel_size, _stride_or_kernel(stride, kernel_size), padding, dilation,
                               bool(ceil_mode), bool(return_indices), False)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows of [C, H, W] or [N, C, H, W] (padding counts as zeros when count_include_pad)."""
    _check_pooled_input(input, 2, "avg_pool2d")
    return _pool.AvgPool2d.apply(input, kernel_size, _stride_or_kernel(stride, kernel_size), padding,
                                 bool(ceil_mode), bool(count_include_pad), divisor_override)


def adaptive_avg_pool2d(input, output_size):
    """Mean over the windows that split H x W into output_size (an int, or a pair whose None
    entries keep the input's size)."""
    _check_pooled_input(input, 2, "adaptive_avg_pool2d")
    pair = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(pair) != 2:
        raise ValueError(f"adaptive_avg_pool2d(): output_size must be an int or a pair, got {output_size!r}")
    pair = tuple(input.shape[-2 + i] if size is None else size for i, size in enumerate(pair))
    return _pool.AdaptiveAvgPool2d.apply(input, pair)


# ------------------------------------------------------------------------------- upsampling
def _spatial_values(value, dims, name, input):
    """value (a number or a sequence) as a tuple of `dims` entries, one per spatial dimension."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"Input and {name} must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and {name} of {list(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and {name} in (o1, o2, ...,oK) "
                             "format.")
        return tuple(value)
    return (value,) * dims


# mode -> (input rank, kernel mode); 'nearest' and 'area' run other kernels.
_INTERPOLATING_MODES = {"linear": (3, "linear"), "bilinear": (4, "linear"), "bicubic": (4, "cubic")}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resizes [N, C, L] or [N, C, H, W] input with PyTorch's index rules: mode 'nearest' (3-D,
    4-D), 'linear' (3-D), 'bilinear' and 'bicubic' (4-D, align_corners default False), 'area'
    (adaptive average pooling). size gives the output size; scale_factor gives it as
    floor(input size * factor) and, unless recompute_scale_factor, also the scale the index rule
    uses. antialias is not supported (NotImplementedError)."""
    _check_tensor(input, "input", "interpolate")
    modes = ("nearest", "area") + tuple(_INTERPOLATING_MODES)
    if mode not in modes:
        raise NotImplementedError(f"interpolate(): mode {mode!r} is not implemented in fastnn (one of {modes})")
    if mode in _INTERPOLATING_MODES:
        rank = _INTERPOLATING_MODES[mode][0]
        if input.ndim != rank:
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {rank}D input")
        align_corners = bool(align_corners) if align_corners is not None else False
    elif align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        if mode not in ("bilinear", "bicubic"):
            raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                             "as input")
        raise NotImplementedError("interpolate(): antialias=True is not supported by fastnn")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate(): fastnn supports 3-D [N, C, L] and 4-D [N, C, H, W] input, got "
                                  f"shape {tuple(input.shape)}")
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        output_size = tuple(int(s) for s in _spatial_values(size, dims, "output size", input))
        scales = None
    else:
        scales = tuple(float(s) for s in _spatial_values(scale_factor, dims, "scale_factor", input))
        output_size = tuple(math.floor(float(input.shape[2 + i]) * scales[i]) for i in range(dims))
        if recompute_scale_factor:
            scales = None
    if any(s <= 0 for s in output_size):
        raise ValueError(f"Input and output sizes should be greater than 0, but got input {list(input.shape[2:])} "
                         f"and output {list(output_size)}")
    if mode == "area":
        if dims == 1:
            return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + output_size).squeeze(-2)
        return adaptive_avg_pool2d(input, output_size)
    if mode in _INTERPOLATING_MODES:
        return _interpolate.Interpolate.apply(input, output_size, _INTERPOLATING_MODES[mode][1], align_corners,
                                              scales or ())
    if dims == 1:
        output_size = (1,) + output_size
        scales = None if scales is None else (1.0,) + scales
    return _pool.UpsampleNearest.apply(input, output_size, scales, dims == 1)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated alias of interpolate(mode='nearest') (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated alias of interpolate(mode='bilinear', align_corners=True) (with PyTorch's warning)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------- normalisation
def _data_or_none(value, name, function):
    if value is None:
        return None
    _check_tensor(value, name, function)
    return value._data


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalises [N, C, ...] per channel: with batch statistics while training (moving the
    running statistics, when given, by `momentum`), else with the running statistics."""
    _check_tensor(input, "input", "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm(): input must be at least 2-D [N, C, ...], got shape {tuple(input.shape)}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm(): momentum must be a float, got {momentum!r}")
    if training:
        values_per_channel = input.shape[0] * math.prod(input.shape[2:])
        if values_per_channel == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{tuple(input.shape)}")
    return _norm.BatchNorm.apply(input, weight, bias, _data_or_none(running_mean, "running_mean", "batch_norm"),
                                 _data_or_none(running_var, "running_var", "batch_norm"), bool(training),
                                 float(momentum), float(eps))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing dimensions normalized_shape, then scales and shifts."""
    _check_tensor(input, "input", "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    return _norm.LayerNorm.apply(input, shape, weight, bias, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises [N, C, *] over each group of C / num_groups channels (and all positions) per
    sample, then scales and shifts per channel."""
    _check_tensor(input, "input", "group_norm")
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"group_norm(): num_groups must be an int, got {num_groups!r}")
    return _group_norm.GroupNorm.apply(input, int(num_groups), weight, bias, float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each channel of each sample of [N, C, *] over its positions (use_input_stats),
    moving running_mean/running_var (when given) by momentum towards the batch averages of the
    per-instance mean and unbiased variance; else normalises with the running statistics."""
    _check_tensor(input, "input", "instance_norm")
    if input.ndim < 3:
        raise ValueError(f"instance_norm(): input must be at least 3-D [N, C, *], got shape {tuple(input.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm(): use_input_stats=False needs running_mean and running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = math.prod(input.shape[2:])
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    if running_mean is not None or running_var is not None:
        data = input._data.reshape(input.shape[0], input.shape[1], spatial)
        for stats, values in ((running_mean, lambda: data.mean(-1, dtype=np.float64)),
                              (running_var, lambda: data.var(-1, ddof=1, dtype=np.float64))):
            if stats is not None:
                _check_tensor(stats, "running_mean/running_var", "instance_norm")
                stats._data[...] = ((1 - momentum) * stats._data + momentum * values().mean(0)).astype(stats.dtype)
    return _group_norm.GroupNorm.apply(input, input.shape[1], weight, bias, float(eps))


# ------------------------------------------------------------------------------- padding
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pads the trailing len(pad) / 2 dimensions of input; pad lists (before, after) per
    dimension, last dimension first (negative entries crop). constant fills with value (default
    0) and pads any number of dimensions; reflect (mirror without repeating the edge), replicate
    (repeat the edge) and circular (wrap around) pad the last 1, 2 or 3 dimensions of a batched or
    unbatched input."""
    _check_tensor(input, "input", "pad")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad(): mode must be one of {_PAD_MODES}, got {mode!r}")
    if not isinstance(pad, (tuple, list)) or any(isinstance(p, bool) or not isinstance(p, (int, np.integer))
                                                 for p in pad):
        raise TypeError(f"pad(): pad must be a tuple of ints, got {pad!r}")
    pads = tuple(int(p) for p in pad)
    if len(pads) % 2 != 0:
        raise ValueError("Padding length must be divisible by 2")
    if len(pads) > 2 * input.ndim:
        raise ValueError(f"Padding length should be less than or equal to two times the input dimension but got "
                         f"padding length {len(pads)} and input of dimension {input.ndim}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
        k = len(pads) // 2
        if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"Padding size {len(pads)} is not supported for {input.ndim}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if not pads:
        return input.clone()
    return _padding.Pad.apply(input, pads, mode, 0.0 if value is None else float(value))


# -------------------------------------------------------------------------- pixel shuffle
def pixel_shuffle(input, upscale_factor):
    """[*, C r^2, H, W] -> [*, C, H r, W r] (r = upscale_factor)."""
    _check_tensor(input, "input", "pixel_shuffle")
    return _pixel_shuffle.PixelShuffle.apply(input, int(upscale_factor))


def pixel_unshuffle(input, downscale_factor):
    """[*, C, H r, W r] -> [*, C r^2, H, W] (r = downscale_factor), the inverse of pixel_shuffle."""
    _check_tensor(input, "input", "pixel_unshuffle")
    return _pixel_shuffle.PixelUnshuffle.apply(input, int(downscale_factor))


# ------------------------------------------------------------------------ vectors, distances
def _norm_along(input, p, dim, keepdim):
    return _vector_norm.VectorNorm.apply(input, float(p), (dim % input.ndim,) if input.ndim else (), keepdim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps), the p-norm taken along dim."""
    _check_tensor(input, "input", "normalize")
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported by fastnn")
    denominator = _norm_along(input, p, dim, True).clamp(min=eps)
    return input / denominator


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim, x1 and x2 broadcast together."""
    _check_pair(x1, x2, "cosine_similarity")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity(): x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} "
                         "cannot be broadcast together") from None
    x1 = x1 if x1.shape == shape else x1.expand(shape)
    x2 = x2 if x2.shape == shape else x2.expand(shape)
    x1 = x1 / _norm_along(x1, 2.0, dim, True).clamp(min=eps)
    x2 = x2 / _norm_along(x2, 2.0, dim, True).clamp(min=eps)
    return (x1 * x2).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dimension (x1 and x2 broadcast together)."""
    _check_pair(x1, x2, "pairwise_distance")
    difference = x1 - x2 + eps
    if difference.ndim == 0:
        difference = difference.reshape(1)
    return _norm_along(difference, p, -1, bool(keepdim))


def one_hot(tensor, num_classes=-1):
    """int64 [*, num_classes] with a 1 at each index of tensor (num_classes -1: max(tensor) + 1)."""
    _check_tensor(tensor, "tensor", "one_hot")
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor of an integer dtype, got {data.dtype}")
    xp = xp_for(data)
    if num_classes == -1:
        if data.size == 0:
            raise ValueError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size and int(data.min()) < 0:
        raise ValueError("Class values must be non-negative.")
    if data.size and int(data.max()) >= num_classes:
        raise ValueError("Class values must be smaller than num_classes.")
    return Tensor._wrap((data[..., None] == xp.arange(num_classes)).astype(np.int64))


# ------------------------------------------------------------------------ pooling (composed)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of the last dimension of [C, L] or [N, C, L]."""
    _check_pooled_input(input, 1, "avg_pool1d")
    k = _single(kernel_size, "kernel_size", "avg_pool1d")
    s = _single(_stride_or_kernel(stride, k), "stride", "avg_pool1d")
    p = _single(padding, "padding", "avg_pool1d")
    out = _pool.AvgPool2d.apply(input.unsqueeze(-2), (1, k), (1, s), (0, p), bool(ceil_mode),
                                bool(count_include_pad), None)
    return out.squeeze(-2)


def _unpool_size(input, kernel, stride, padding, output_size, dims, function):
    spatial = input.shape[-dims:]
    default = tuple((spatial[d] - 1) * stride[d] - 2 * padding[d] + kernel[d] for d in range(dims))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == dims + 2 or (len(size) == dims + 1 and input.ndim == dims + 1):
        size = size[-dims:]
    if len(size) != dims:
        raise ValueError(f"{function}(): output_size must have {dims} or {dims + 2} elements, got {output_size!r}")
    for d in range(dims):
        smallest, largest = default[d] - stride[d], default[d] + stride[d]
        if not smallest < size[d] < largest:
            raise ValueError(f"invalid output_size {size} (dim {d} must be between {smallest + 1} and "
                             f"{largest - 1})")
    return size


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims, function):
    _check_pooled_input(input, dims, function)
    _check_tensor(indices, "indices", function)
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"{function}(): indices must have the input's shape {tuple(input.shape)}, got "
                         f"{tuple(indices.shape)}")
    def to_tuple(value, name):
        if dims == 1:
            return (_single(value, name, function),)
        return tuple(value) if isinstance(value, (tuple, list)) else (value, value)

    kernel = to_tuple(kernel_size, "kernel_size")
    stride = kernel if stride is None else to_tuple(stride, "stride")
    padding = to_tuple(padding, "padding")
    size = _unpool_size(input, kernel, stride, padding, output_size, dims, function)
    return _unpool.MaxUnpool.apply(input, indices._data, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: input values placed at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: input values placed at their flat per-plane indices
    h * W + w of the output, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")
