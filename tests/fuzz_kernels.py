"""The kernel fuzzer that tests/test_fuzz_kernels.py runs in a subprocess (so that a crash fails
the test instead of killing pytest): `python tests/fuzz_kernels.py MUTATION EXAMPLES`.

Each example starts from a valid call of a public kernel (fastnn.kernels) on random data and
changes one argument in one way (the MUTATION class: dtype, byte order, ndim, strides, read-only,
aliasing of an output with an input, huge or negative integers, NaN). The kernel must either raise
ValueError / TypeError / IndexError whose message names the changed argument, or return what
tests/reference.py (plain NumPy float64, independent of fastnn) computes from the same logical
values. Every example's call is printed before it runs (the last line names a crash); every
broken promise is printed as `FAIL mutation kernel argument variant: what happened`, and the
exit status is 1 when there is one.
"""
import os
import re
import resource
import sys
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from helpers import fuzz_report
from fastnn import kernels as K

CLEAR_ERRORS = (ValueError, TypeError, IndexError)


@dataclass(frozen=True)
class Spec:
    kernel: str
    make: object  # (rng, dtype) -> dict of keyword arguments of a valid call
    reference: object  # kwargs -> the expected first output (float64)
    ints: tuple = ()  # integer arguments (their valid values are in make's dict)
    out_like: str = None  # the input an `out` argument may alias (same shape and dtype)
    updated: str = None  # for a kernel that works in place (the optimizer steps): the argument it updates

    def __repr__(self):
        return self.kernel


def _r(rng, shape, dtype):
    return rng.uniform(-2, 2, shape).astype(dtype)


def _first(result):
    return result[0] if isinstance(result, tuple) else result


SPECS = [
    Spec("relu_forward", lambda g, t: {"x": _r(g, (3, 7), t)},
         lambda a: ref.activation_forward("relu", a["x"]), out_like="x"),
    Spec("sigmoid_forward", lambda g, t: {"x": _r(g, (2, 3, 5), t)},
         lambda a: ref.activation_forward("sigmoid", a["x"]), out_like="x"),
    Spec("tanh_forward", lambda g, t: {"x": _r(g, (17,), t)}, lambda a: ref.activation_forward("tanh", a["x"]),
         out_like="x"),
    Spec("relu_backward", lambda g, t: {"grad_out": _r(g, (4, 5), t), "x": _r(g, (4, 5), t)},
         lambda a: ref.activation_backward("relu", a["grad_out"], a["x"]), out_like="grad_out"),
    Spec("softmax_forward", lambda g, t: {"x": _r(g, (3, 6), t), "dim": 1},
         lambda a: ref.softmax(a["x"], a["dim"]), ints=("dim",), out_like="x"),
    Spec("log_softmax_forward", lambda g, t: {"x": _r(g, (2, 3, 4), t), "dim": -1},
         lambda a: ref.log_softmax(a["x"], a["dim"]), ints=("dim",), out_like="x"),
    Spec("gemm", lambda g, t: {"a": _r(g, (5, 3), t), "b": _r(g, (3, 4), t)}, lambda a: ref.gemm(a["a"], a["b"])),
    Spec("conv2d_forward",
         lambda g, t: {"input": _r(g, (2, 2, 5, 6), t), "weight": _r(g, (3, 2, 3, 2), t), "bias": _r(g, (3,), t),
                       "stride": 2, "padding": 1, "dilation": 1},
         lambda a: ref.conv2d_forward(a["input"], a["weight"], a["bias"], (a["stride"],) * 2, (a["padding"],) * 4,
                                      (a["dilation"],) * 2),
         ints=("stride", "padding", "dilation")),
    Spec("max_pool2d_forward", lambda g, t: {"x": _r(g, (2, 3, 7, 6), t), "kernel_size": 3, "stride": 2, "padding": 1},
         lambda a: ref.max_pool2d(a["x"], (a["kernel_size"],) * 2, (a["stride"],) * 2, (a["padding"],) * 2)[0],
         ints=("kernel_size", "stride", "padding")),
    Spec("avg_pool2d_forward", lambda g, t: {"x": _r(g, (1, 2, 6, 5), t), "kernel_size": 2, "stride": 1, "padding": 1},
         lambda a: ref.avg_pool2d(a["x"], (a["kernel_size"],) * 2, (a["stride"],) * 2, (a["padding"],) * 2),
         ints=("kernel_size", "stride", "padding")),
    Spec("avg_pool2d_backward",
         lambda g, t: {"grad_out": _r(g, (1, 2, 3, 2), t), "input_size": (6, 5), "kernel_size": 2},
         lambda a: ref.avg_pool2d_backward(a["grad_out"], a["input_size"], (a["kernel_size"],) * 2,
                                           (a["kernel_size"],) * 2, (0, 0)),
         ints=("kernel_size",)),
    Spec("adaptive_avg_pool2d_forward", lambda g, t: {"x": _r(g, (2, 7, 5), t), "output_size": 3},
         lambda a: ref.adaptive_avg_pool2d(a["x"], (a["output_size"],) * 2), ints=("output_size",)),
    Spec("upsample_nearest2d_forward", lambda g, t: {"x": _r(g, (1, 2, 3, 4), t), "output_size": (5, 7)},
         lambda a: ref.upsample_nearest2d(a["x"], a["output_size"])),
    Spec("upsample_nearest2d_backward", lambda g, t: {"grad_out": _r(g, (1, 2, 5, 7), t), "input_size": (3, 4)},
         lambda a: ref.upsample_nearest2d_backward(a["grad_out"], a["input_size"])),
    Spec("layer_norm_forward",
         lambda g, t: {"x": _r(g, (3, 4, 5), t), "normalized_shape": 5, "weight": _r(g, (5,), t),
                       "bias": _r(g, (5,), t)},
         lambda a: ref.layer_norm(a["x"], 1, a["weight"], a["bias"]), ints=("normalized_shape",), out_like="x"),
    Spec("batch_norm_forward",
         lambda g, t: {"x": _r(g, (4, 3, 2, 2), t), "weight": _r(g, (3,), t), "bias": _r(g, (3,), t),
                       "running_mean": _r(g, (3,), t), "running_var": g.uniform(0.5, 2, 3).astype(t),
                       "training": False},
         lambda a: ref.batch_norm(a["x"], a["weight"], a["bias"], a["running_mean"], a["running_var"], False, 0.1,
                                  1e-5)[0], out_like="x"),
    Spec("conv_transpose2d_forward",
         lambda g, t: {"input": _r(g, (2, 2, 4, 3), t), "weight": _r(g, (2, 3, 2, 3), t), "bias": _r(g, (3,), t),
                       "stride": 2, "padding": 1},
         lambda a: ref.conv_transpose2d_forward(a["input"], a["weight"], a["bias"], (a["stride"],) * 2,
                                                (a["padding"],) * 2),
         ints=("stride", "padding")),
    Spec("conv_backward_bias", lambda g, t: {"grad_output": _r(g, (2, 3, 4, 5), t)},
         lambda a: ref.conv_backward_bias(a["grad_output"])),
    Spec("pad_forward", lambda g, t: {"x": _r(g, (2, 3, 5), t), "pad": (2, 1), "mode": "reflect"},
         lambda a: ref.pad(a["x"], a["pad"], a["mode"])),
    Spec("group_norm_forward",
         lambda g, t: {"x": _r(g, (2, 4, 3), t), "num_groups": 2, "weight": _r(g, (4,), t), "bias": _r(g, (4,), t)},
         lambda a: ref.group_norm(a["x"], a["num_groups"], a["weight"], a["bias"])[0], ints=("num_groups",),
         out_like="x"),
    Spec("pixel_shuffle", lambda g, t: {"x": _r(g, (2, 8, 3, 2), t), "upscale_factor": 2},
         lambda a: ref.pixel_shuffle(a["x"], a["upscale_factor"]), ints=("upscale_factor",)),
    Spec("embedding_forward", lambda g, t: {"weight": _r(g, (6, 3), t), "indices": g.integers(0, 6, (2, 5))},
         lambda a: ref.embedding_forward(a["weight"], a["indices"])),
    Spec("leaky_relu_forward", lambda g, t: {"x": _r(g, (3, 5), t), "negative_slope": 0.2},
         lambda a: ref.activation_forward("leaky_relu", a["x"], negative_slope=a["negative_slope"]), out_like="x"),
    Spec("elu_forward", lambda g, t: {"x": _r(g, (2, 9), t), "alpha": 1.5},
         lambda a: ref.activation_forward("elu", a["x"], alpha=a["alpha"]), out_like="x"),
    Spec("gelu_forward", lambda g, t: {"x": _r(g, (4, 3), t), "approximate": "tanh"},
         lambda a: ref.activation_forward("gelu", a["x"], approximate=a["approximate"]), out_like="x"),
    Spec("silu_forward", lambda g, t: {"x": _r(g, (11,), t)}, lambda a: ref.activation_forward("silu", a["x"]),
         out_like="x"),
    Spec("softplus_forward", lambda g, t: {"x": _r(g, (3, 4), t), "beta": 2.0, "threshold": 3.0},
         lambda a: ref.activation_forward("softplus", a["x"], beta=a["beta"], threshold=a["threshold"]),
         out_like="x"),
    Spec("gelu_backward", lambda g, t: {"grad_out": _r(g, (3, 4), t), "x": _r(g, (3, 4), t)},
         lambda a: ref.activation_backward("gelu", a["grad_out"], a["x"]), out_like="grad_out"),
    Spec("tanh_backward", lambda g, t: {"grad_out": _r(g, (2, 7), t), "y": g.uniform(-1, 1, (2, 7)).astype(t)},
         lambda a: ref.activation_backward_from_output("tanh", a["grad_out"], a["y"]), out_like="grad_out"),
    Spec("sigmoid_backward", lambda g, t: {"grad_out": _r(g, (5,), t), "y": g.uniform(0, 1, 5).astype(t)},
         lambda a: ref.activation_backward_from_output("sigmoid", a["grad_out"], a["y"]), out_like="grad_out"),
    Spec("softmax_backward",
         lambda g, t: {"grad_out": _r(g, (3, 5), t), "y": ref.softmax(_r(g, (3, 5), t), 1).astype(t), "dim": 1},
         lambda a: ref.f64(a["y"]) * (ref.f64(a["grad_out"]) - (ref.f64(a["grad_out"]) * ref.f64(a["y"])).sum(
             a["dim"], keepdims=True)), ints=("dim",)),
    Spec("conv1d_forward",
         lambda g, t: {"input": _r(g, (2, 4, 9), t), "weight": _r(g, (3, 4, 3), t), "bias": _r(g, (3,), t),
                       "stride": 2, "padding": 1, "dilation": 2},
         lambda a: ref.conv2d_forward(a["input"][:, :, None], a["weight"][:, :, None], a["bias"], (1, a["stride"]),
                                      (0, 0, a["padding"], a["padding"]), (1, a["dilation"]))[:, :, 0],
         ints=("stride", "padding", "dilation")),
    Spec("conv2d_backward_input",
         lambda g, t: {"grad_output": _r(g, (2, 3, 3, 4), t), "weight": _r(g, (3, 2, 3, 2), t),
                       "input_size": (2, 2, 5, 6), "stride": 2, "padding": 1},
         lambda a: ref.conv2d_backward_input(a["grad_output"], a["weight"], a["input_size"][2:], (a["stride"],) * 2,
                                             (a["padding"],) * 4),
         ints=("stride", "padding")),
    Spec("conv2d_backward_weight",
         lambda g, t: {"grad_output": _r(g, (2, 3, 3, 4), t), "input": _r(g, (2, 2, 5, 6), t),
                       "weight_size": (3, 2, 3, 2), "stride": 2, "padding": 1},
         lambda a: ref.conv2d_backward_weight(a["grad_output"], a["input"], a["weight_size"][2:], (a["stride"],) * 2,
                                              (a["padding"],) * 4),
         ints=("stride", "padding")),
    Spec("max_pool2d_backward",
         lambda g, t: {"grad_out": _r(g, (2, 3, 3, 3), t),
                       "indices": K.max_pool2d_forward(_r(g, (2, 3, 6, 5), t), 2, 2, 0, 1, True)[1],
                       "input_size": (6, 5)},
         lambda a: ref.max_pool2d_backward(a["grad_out"], a["indices"], a["input_size"])),
    Spec("adaptive_avg_pool2d_backward", lambda g, t: {"grad_out": _r(g, (1, 2, 3, 2), t), "input_size": (7, 5)},
         lambda a: ref.adaptive_avg_pool2d_backward(a["grad_out"], a["input_size"])),
    Spec("interpolate_forward",
         lambda g, t: {"x": _r(g, (1, 2, 4, 5), t), "output_size": (6, 3), "mode": "linear", "align_corners": True},
         lambda a: ref.interpolate(a["x"], a["output_size"], a["mode"], a["align_corners"])),
    Spec("interpolate_backward",
         lambda g, t: {"grad_out": _r(g, (2, 3, 7, 3), t), "input_shape": (2, 3, 4, 5), "mode": "cubic"},
         lambda a: ref.interpolate_backward(a["grad_out"], a["input_shape"], a["mode"])),
    Spec("pad_backward",
         lambda g, t: {"grad_out": _r(g, (2, 3, 8), t), "input_shape": (2, 3, 5), "pad": (2, 1), "mode": "reflect"},
         lambda a: ref.pad_backward(a["grad_out"], a["input_shape"], a["pad"], a["mode"])),
    Spec("conv_transpose2d_backward_input",
         lambda g, t: {"grad_output": _r(g, (2, 3, 7, 5), t), "weight": _r(g, (2, 3, 2, 3), t), "stride": 2,
                       "padding": 1},
         lambda a: ref.conv_transpose2d_backward_input(
             a["grad_output"], a["weight"], ref.conv2d_output_size(a["grad_output"].shape[2:], a["weight"].shape[2:],
                                                                   (a["stride"],) * 2, (a["padding"],) * 4, (1, 1)),
             (a["stride"],) * 2, (a["padding"],) * 2),
         ints=("stride", "padding")),
    Spec("conv_transpose2d_backward_weight",
         lambda g, t: {"grad_output": _r(g, (2, 3, 7, 5), t), "input": _r(g, (2, 2, 4, 3), t),
                       "weight_size": (2, 3, 2, 3), "stride": 2, "padding": 1},
         lambda a: ref.conv_transpose2d_backward_weight(a["grad_output"], a["input"], a["weight_size"][2:],
                                                        (a["stride"],) * 2, (a["padding"],) * 2),
         ints=("stride", "padding")),
    Spec("pixel_unshuffle", lambda g, t: {"x": _r(g, (2, 3, 4, 6), t), "downscale_factor": 2},
         lambda a: _pixel_unshuffle(ref.f64(a["x"]), a["downscale_factor"]),
         ints=("downscale_factor",)),
    Spec("layer_norm_backward", lambda g, t: _norm_backward_args(g, t, (3, 4, 5), "normalized_shape", 5),
         lambda a: _norm_backward_reference(a, (a["x"].shape[0], a["x"].shape[1], 1), (1, 1, -1)),
         ints=("normalized_shape",)),
    Spec("group_norm_backward", lambda g, t: _norm_backward_args(g, t, (2, 4, 3), "num_groups", 2),
         lambda a: _norm_backward_reference(a, (2, 2, 1), (1, 4, 1)), ints=("num_groups",)),
    Spec("sgd_step",
         lambda g, t: {"param": _r(g, (7,), t), "momentum_buffer": _r(g, (7,), t), "first_step": False,
                       "grad": _r(g, (7,), t), "lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
         lambda a: ref.sgd_step(a["param"], a["grad"], {"momentum_buffer": ref.f64(a["momentum_buffer"])}, 2, a["lr"],
                                a["momentum"], weight_decay=a["weight_decay"]), updated="param"),
    Spec("adam_step",
         lambda g, t: {"param": _r(g, (2, 5), t), "exp_avg": _r(g, (2, 5), t),
                       "exp_avg_sq": g.uniform(0, 1, (2, 5)).astype(t), "max_exp_avg_sq": None, "step": np.array(2, np.float32), "grad": _r(g, (2, 5), t), "lr": 0.01},
         lambda a: ref.adam_step(a["param"], a["grad"], {"exp_avg": ref.f64(a["exp_avg"]),
                                                        "exp_avg_sq": ref.f64(a["exp_avg_sq"])},
                                 float(a["step"]) + 1, a["lr"]), updated="param"),
    Spec("adagrad_step",
         lambda g, t: {"param": _r(g, (6,), t), "sum": g.uniform(0, 1, 6).astype(t), "step": np.array(4, np.float32),
                       "grad": _r(g, (6,), t), "lr": 0.1},
         lambda a: ref.adagrad_step(a["param"], a["grad"], {"sum": ref.f64(a["sum"])}, float(a["step"]) + 1, a["lr"]),
         updated="param"),
    Spec("attention_forward",
         lambda g, t: {"query": _r(g, (2, 3, 4), t), "key": _r(g, (2, 5, 4), t), "value": _r(g, (2, 5, 6), t),
                       "scale": 0.5},
         lambda a: ref.attention_forward(a["query"], a["key"], a["value"], a["scale"])),
    Spec("embedding_backward",
         lambda g, t: {"grad_out": _r(g, (2, 3, 4), t), "indices": g.integers(0, 5, (2, 3)), "num_embeddings": 5},
         lambda a: ref.embedding_backward(a["grad_out"], a["indices"], a["num_embeddings"])),
    Spec("dropout_backward",
         lambda g, t: {"grad_out": _r(g, (3, 4), t), "mask": g.integers(0, 2, (3, 4)).astype(np.uint8), "p": 0.25},
         lambda a: ref.dropout(a["grad_out"], a["mask"], a["p"]), out_like="grad_out"),
    Spec("gather_forward", lambda g, t: {"x": _r(g, (3, 4), t), "index": g.integers(0, 3, (2, 4)), "dim": 0},
         lambda a: ref.gather(a["x"], a["dim"], a["index"]), ints=("dim",)),
    Spec("cross_entropy_forward",
         lambda g, t: {"logits": _r(g, (4, 5), t), "target": g.integers(0, 5, 4), "ignore_index": -100,
                       "reduction": "none"},
         lambda a: ref.cross_entropy(a["logits"], a["target"], ignore_index=a["ignore_index"],
                                     reduction=a["reduction"]), ints=("ignore_index",)),
    Spec("rnn_forward",
         lambda g, t: {"input": _r(g, (3, 2, 4), t), "h0": _r(g, (2, 5), t), "weight_ih": _r(g, (5, 4), t),
                       "weight_hh": _r(g, (5, 5), t)},
         lambda a: ref.rnn_forward(a["input"], a["h0"], a["weight_ih"], a["weight_hh"])[0]),
]

def _pixel_unshuffle(x, r):
    """[*, C, H r, W r] -> [*, C r^2, H, W]: out[..., c r^2 + i r + j, h, w] = x[..., c, h r + i, w r + j]."""
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError("not divisible")
    blocks = x.reshape(*lead, c, h // r, r, w // r, r)
    k = len(lead)
    order = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return blocks.transpose(order).reshape(*lead, c * r * r, h // r, w // r)


def _norm_backward_args(g, t, shape, name, value):
    """A valid call of layer_norm_backward / group_norm_backward: the statistics from the forward."""
    x = _r(g, shape, t)
    forward = K.layer_norm_forward if name == "normalized_shape" else K.group_norm_forward
    _, mean, rstd = forward(x, value)
    return {"grad_out": _r(g, shape, t), "x": x, "mean": mean, "rstd": rstd, name: value, "weight": _r(g, (shape[1]
            if name == "num_groups" else shape[-1],), t)}


def _norm_backward_reference(a, stat_shape, weight_shape):
    """The input gradient from the given mean and rstd (so a NaN in them spreads as in the kernel):
    dx = rstd (g - mean(g) - x_hat mean(g x_hat)) over each normalized group, g = grad_out * weight."""
    x, gout = ref.f64(a["x"]), ref.f64(a["grad_out"])
    groups = x.reshape(stat_shape[:2] + (-1,))
    mean, rstd = ref.f64(a["mean"]).reshape(stat_shape), ref.f64(a["rstd"]).reshape(stat_shape)
    g = (gout * ref.f64(a["weight"]).reshape(weight_shape)).reshape(groups.shape)
    x_hat = (groups - mean) * rstd
    dx = rstd * (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True))
    return dx.reshape(x.shape)


MUTATIONS = ["dtype", "byteorder", "ndim", "strides", "readonly", "alias", "integers", "nan"]
HUGE_INTS = [2 ** 63, 2 ** 64 - 100, 2 ** 100, -(2 ** 63) - 1, 2 ** 62, 2 ** 31, -(2 ** 31), -1, 0, -7]


def _arrays(kwargs):
    return [name for name, value in kwargs.items() if isinstance(value, np.ndarray)]


def _strided(value, how):
    """An array with value's values and other strides: every other element of a bigger array,
    reversed memory, or (for a 1-element axis) a zero stride."""
    if how == "negative":
        return np.ascontiguousarray(value[..., ::-1])[..., ::-1]
    if how == "zero":
        if value.shape[-1] == 0:
            return value
        return np.broadcast_to(value[..., :1], value.shape)  # new values: the first column repeated
    bigger = np.zeros(value.shape[:-1] + (2 * value.shape[-1],), value.dtype)
    bigger[..., ::2] = value
    return bigger[..., ::2]


def mutate(mutation, spec, kwargs, data):
    """(kwargs, argument, variant) with one argument changed, or None when the class does not apply."""
    arrays = _arrays(kwargs)
    if mutation == "integers":
        if not spec.ints:
            return None
        name = data.draw(st.sampled_from(spec.ints))
        value = data.draw(st.sampled_from(HUGE_INTS))
        return {**kwargs, name: value}, name, str(value)
    if mutation == "alias":
        if spec.out_like is None:
            return None
        return {**kwargs, "out": kwargs[spec.out_like]}, "out", f"out is {spec.out_like}"
    name = data.draw(st.sampled_from(arrays))
    value = kwargs[name]
    if mutation == "dtype":
        dtype = data.draw(st.sampled_from(["float16", "float32", "float64", "int32", "int64", "uint8", "complex64",
                                           "bool", "object"]))
        return {**kwargs, name: value.astype(dtype)}, name, dtype
    if mutation == "byteorder":
        return {**kwargs, name: value.astype(value.dtype.newbyteorder(">"))}, name, str(value.dtype.newbyteorder(">"))
    if mutation == "ndim":
        how = data.draw(st.sampled_from(["lead", "trail", "flat", "scalar"]))
        changed = {"lead": value[None], "trail": value[..., None], "flat": value.reshape(-1),
                   "scalar": value.reshape(-1)[:1].reshape(())}[how]
        return {**kwargs, name: changed}, name, how
    if mutation == "strides":
        if value.ndim == 0:
            return None  # a 0-D array has no strides
        how = data.draw(st.sampled_from(["gapped", "negative", "zero"]))
        return {**kwargs, name: _strided(value, how)}, name, how
    if mutation == "readonly":
        frozen = value.copy()
        frozen.setflags(write=False)
        return {**kwargs, name: frozen}, name, "read-only"
    if mutation == "nan":
        if value.dtype.kind != "f" or value.size == 0:
            return None
        poisoned = value.copy()
        poisoned.reshape(-1)[data.draw(st.integers(0, value.size - 1))] = np.nan
        return {**kwargs, name: poisoned}, name, "nan"
    raise ValueError(mutation)


def _copy(kwargs):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}


def _names_an_argument(message, kwargs):
    # The changed argument, or the one it conflicts with (a 1-D x makes dim=1 out of range).
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", message) for name in kwargs)


def check(mutation, spec, kwargs, name, variant, failures):
    """Runs one mutated call; records a failure (first example per kind) when it broke the promise."""
    label = f"{mutation} {spec.kernel} {name} {variant}"
    print("RUN", label, flush=True)

    def fail(kind, detail=""):
        failures.setdefault(f"{label}: {kind}", detail)

    big_int = any(abs(kwargs[n]) > 64 for n in spec.ints if isinstance(kwargs.get(n), int))
    before = _copy({k: v for k, v in kwargs.items() if k != "out"})  # the inputs, before an aliased out overwrites them
    try:
        result = _first(getattr(K, spec.kernel)(**kwargs))
        if spec.updated:
            result = kwargs[spec.updated]
    except CLEAR_ERRORS as error:
        if not _names_an_argument(str(error), kwargs):
            fail(f"{type(error).__name__} names no argument", str(error)[:160])
        return
    except MemoryError as error:  # a valid huge window (a 2^31 padding) can need tens of GiB
        if not big_int:
            fail("MemoryError", str(error)[:160])
        return
    except Exception as error:  # noqa: BLE001 - any other exception type is the defect
        fail(type(error).__name__, str(error)[:160])
        return
    if big_int:
        return  # a huge window is valid; test_pool checks its values, the reference would loop 2^62 times
    try:
        with np.errstate(all="ignore"):
            expected = np.asarray(spec.reference(before))
    except Exception:  # noqa: BLE001 - the reference refuses it: the kernel should have too
        fail("returned a result for a call the reference refuses")
        return
    result = np.asarray(result)
    if result.shape != expected.shape:
        fail("wrong shape", f"{result.shape}, expected {expected.shape}")
        return
    low = result.dtype == np.float16 or any(isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.itemsize < 8
                                            for v in kwargs.values())
    rtol, atol = (2e-3, 1e-4) if low else (1e-9, 1e-12)
    if result.dtype.kind not in "fc" or not np.allclose(result.astype(np.float64), expected, rtol=rtol, atol=atol,
                                                        equal_nan=True):
        worst = np.nanmax(np.abs(result.astype(np.float64) - expected)) if result.dtype.kind in "fiub" else "?"
        fail("wrong result", f"dtype {result.dtype}, largest difference {worst}")


def run(mutation, examples):
    failures = {}
    ran = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(spec=st.sampled_from(SPECS), dtype=st.sampled_from([np.float32, np.float64]),
           seed=st.integers(0, 2 ** 32 - 1), data=st.data())
    def example(spec, dtype, seed, data):
        mutated = mutate(mutation, spec, spec.make(np.random.default_rng(seed), dtype), data)
        if mutated is not None:
            ran[0] += 1
            check(mutation, spec, *mutated, failures)

    example()
    return fuzz_report(failures, f"fuzz {mutation}: {ran[0]} calls")


if __name__ == "__main__":
    # Address space capped at 8 GiB, so that those outputs are a MemoryError here on any machine
    # instead of tens of GiB written; not under ASan (tools/sanitize.sh), which reserves terabytes
    # of shadow memory and caps allocations itself.
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
    sys.exit(0 if run(sys.argv[1], int(sys.argv[2])) else 1)
