"""fn.device, fn.cuda, fn.accelerator and the dtype aliases, as in PyTorch."""
import pickle

import numpy as np
import pytest

import fastnn as fn


def test_device_type_index_equality_hash_and_repr():
    d = fn.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1", "device(type='cuda', index=1)")
    assert repr(fn.device("cpu")) == "device(type='cpu')" and fn.device("cpu").index is None
    assert fn.device("cuda", 0) == fn.device("cuda:0") != fn.device("cuda")
    assert fn.device("cuda:0") == "cuda:0" and fn.device("cpu") == "cpu" and fn.device("cpu") != "cuda"
    assert fn.device(fn.device("cuda:2")) == "cuda:2"
    assert len({fn.device("cpu"), fn.device("cpu"), fn.device("cuda")}) == 2
    assert pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize("bad, error", [("tpu", RuntimeError), ("cuda:x", RuntimeError), (3, TypeError)])
def test_bad_devices_raise(bad, error):
    with pytest.raises(error):
        fn.device(bad)
    with pytest.raises(RuntimeError, match="must not be negative"):
        fn.device("cuda", -1)


def test_tensor_device_and_to():
    x = fn.tensor([1.5, 2.5])
    assert isinstance(x.device, fn.device) and x.device == "cpu" and x.device.type == "cpu" and not x.is_cuda
    assert x.to("cpu") is x and x.to(fn.device("cpu")) is x
    y = x.to("cpu", fn.float64, non_blocking=True)
    assert y.dtype == fn.float64 and x.to(x.device, fn.double, copy=True) is not x
    assert x.to(fn.zeros(1, dtype=fn.float64)).dtype == fn.float64
    assert fn.zeros(2, device=fn.device("cpu")).device == "cpu"


def test_cuda_and_accelerator_tell_the_truth_without_a_cuda_device():
    """No GPU (or no CUDA build, or no CuPy) and no FASTNN_CUDA_EMULATE=1: nothing claims a device."""
    if fn._backend.cuda_emulated() or fn._backend.cuda_device_count() > 0:
        pytest.skip("a CUDA device (real or emulated) is available")
    assert fn.cuda.is_available() is False and fn.cuda.device_count() == 0 and fn.cuda.is_emulated() is False
    assert fn.accelerator.is_available() is False and fn.accelerator.current_accelerator() is None
    assert fn.accelerator.device_count() == 0
    fn.cuda.manual_seed(0)
    fn.cuda.manual_seed_all(0)
    for call in (fn.cuda.current_device, fn.cuda.synchronize, lambda: fn.tensor([1.0]).to("cuda"),
                 lambda: fn.zeros(2, device="cuda"), lambda: fn.tensor([1.0]).cuda()):
        with pytest.raises(RuntimeError, match="no CUDA device"):
            call()
    device = fn.device("cuda" if fn.cuda.is_available() else "cpu")  # the first line of most scripts
    assert device == "cpu"


def test_dtype_aliases_and_casts():
    assert (fn.float, fn.double, fn.half, fn.long, fn.int, fn.short, fn.bool) == (
        np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.bool_)
    x = fn.tensor([1.7, -2.2])
    assert x.float().dtype == fn.float32 and x.double().dtype == fn.float64 and x.half().dtype == fn.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype == fn.int32 and x.bool().tolist() == [True, True]
    assert fn.zeros(2, dtype=fn.long).dtype == np.int64


def test_typed_tensor_constructors():
    assert fn.LongTensor([1, 2]).dtype == fn.int64 and fn.FloatTensor([1, 2]).dtype == fn.float32
    assert fn.FloatTensor(2, 3).shape == (2, 3) and fn.FloatTensor().shape == (0,)
    x = fn.tensor([1.0])
    assert isinstance(x, fn.FloatTensor) and not isinstance(x, fn.LongTensor) and not isinstance(3, fn.FloatTensor)
    assert x.type() == "fastnn.FloatTensor" and x.type(fn.DoubleTensor).dtype == fn.float64
    assert x.type(fn.long).dtype == fn.int64 and x.type("torch.LongTensor").dtype == fn.int64


@pytest.mark.parametrize("dtype, match", [
    ([fn.float32], "dtype must be a dtype .* got list"),  # NumPy would read a list as a record layout
    ({"a": 1}, "dtype must be a dtype .* got dict"),
    ("float99", "dtype must be a dtype .* got 'float99'"),
    (object, "dtype must be a boolean, integer, floating or complex dtype, got object"),
    ("U3", "dtype must be a boolean, integer, floating or complex dtype"),
])
def test_a_dtype_that_is_not_one_is_a_type_error_naming_dtype(dtype, match):
    for make in (lambda: fn.zeros(2, dtype=dtype), lambda: fn.tensor([1.0], dtype=dtype),
                 lambda: fn.full((2,), 1, dtype=dtype), lambda: fn.arange(3, dtype=dtype),
                 lambda: fn.zeros(2).to(dtype), lambda: fn.as_tensor(np.ones(2), dtype=dtype)):
        with pytest.raises(TypeError, match=match):
            make()


@pytest.mark.parametrize("make", [
    lambda s: fn.zeros(s), lambda s: fn.ones(*s), lambda s: fn.randn(s), lambda s: fn.randint(3, size=s),
    lambda s: fn.zeros(2).new_zeros(s), lambda s: fn.tensor(1.0).reshape(s), lambda s: fn.tensor(1.0).view(*s),
    lambda s: fn.tensor(1.0).expand(s)], ids=["zeros", "ones", "randn", "randint", "new_zeros", "reshape", "view",
                                              "expand"])
def test_more_than_64_dimensions_is_a_value_error_saying_so(make):
    assert make((1,) * 64).shape == (1,) * 64
    with pytest.raises(ValueError, match="must have at most 64 dimensions, got 65"):
        make((1,) * 65)
