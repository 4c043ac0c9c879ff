"""DLPack: fn.from_dlpack / fn.utils.dlpack share memory with host producers (NumPy; PyTorch
where installed) in both directions, and the device array adapter takes a DLPack producer of
CUDA memory through the importer _backend registers (cupy.from_dlpack on a GPU; here a stand-in
on the emulated device), refusing other device types and producers it cannot import."""
import fastnn as fn
import numpy as np
import pytest
from fastnn import _emulated_cuda
from fastnn.utils import dlpack


def test_from_dlpack_shares_host_memory_with_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = fn.from_dlpack(a)
    a[0, 1] = 40
    assert t.device == "cpu" and t.shape == (2, 3) and t.dtype == fn.float32 and t[0, 1].item() == 40
    assert np.shares_memory(np.from_dlpack(t), a)
    assert fn.from_dlpack(t) is t and dlpack.from_dlpack is fn.from_dlpack
    assert np.from_dlpack(fn.from_dlpack(a.T)).strides == a.T.strides


def test_from_dlpack_with_pytorch_both_ways():
    torch = pytest.importorskip("torch")
    source = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    t = fn.from_dlpack(source)
    source[1, 2] = -5
    assert t.dtype == fn.float64 and t[1, 2].item() == -5
    back = torch.from_dlpack(fn.arange(4))
    assert back.tolist() == [0, 1, 2, 3]
    assert fn.from_dlpack(torch.tensor([True, False])).tolist() == [True, False]


class Producer:
    """A DLPack producer of one device type over a host array (standing in for a JAX GPU array)."""

    def __init__(self, array, device_type):
        self.array, self.device_type = array, device_type

    def __dlpack__(self, stream=None):
        return self.array.__dlpack__()

    def __dlpack_device__(self):
        return (self.device_type, 0)


def test_from_dlpack_refuses_what_is_not_a_producer_or_of_another_device():
    with pytest.raises(TypeError, match="expects an object with __dlpack__ and __dlpack_device__.*got list"):
        fn.from_dlpack([1, 2])
    with pytest.raises(ValueError, match="DLPack device type 4"):
        fn.from_dlpack(Producer(np.ones(2), 4))


@pytest.fixture
def emulated_kernels():
    kernels = pytest.importorskip("fastnn._cuda_emu")
    kernels._set_allocator(_emulated_cuda.empty)
    kernels._set_device_array_type(_emulated_cuda.DeviceArray)
    yield kernels
    kernels._set_dlpack_importer(None)


def test_the_device_adapter_imports_dlpack_producers_of_cuda_memory(emulated_kernels):
    x = np.linspace(-2, 2, 7, dtype=np.float32)
    imported = []

    def importer(producer):
        imported.append(producer)
        return _emulated_cuda.to_device(producer.array)

    emulated_kernels._set_dlpack_importer(importer)
    y = emulated_kernels.relu_forward(Producer(x, 2))
    assert len(imported) == 1 and np.array_equal(_emulated_cuda.to_host(y), np.maximum(x, 0))
    with pytest.raises(TypeError, match=r"x must be a device array exposing __cuda_array_interface__ or DLPack"):
        emulated_kernels.relu_forward(Producer(x, 1))
    emulated_kernels._set_dlpack_importer(None)
    with pytest.raises(TypeError, match="x is a DLPack producer .*cannot import without CuPy"):
        emulated_kernels.relu_forward(Producer(x, 2))
