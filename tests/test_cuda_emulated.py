"""device="cuda" under FASTNN_CUDA_EMULATE=1: device tensors in host memory, every kernel on
fastnn._cuda_emu (the CUDA kernels on the SIMT emulator), fn.cuda's calls, moves between
devices, mixed-device errors, ops without a CUDA kernel, and the profiler."""
import types

import numpy as np
import pytest

import fastnn as fn
from fastnn import _backend, _emulated_cuda
from helpers import random_array, relative_error

pytest.importorskip("fastnn._cuda_emu")


@pytest.fixture(autouse=True)
def emulated(monkeypatch):
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")


def test_cuda_calls_report_the_emulated_device():
    assert fn.cuda.is_available() and fn.cuda.is_emulated() and fn.cuda.device_count() == 1
    assert fn.cuda.current_device() == 0 and fn.accelerator.current_accelerator() == "cuda"
    fn.cuda.synchronize()
    fn.cuda.manual_seed(3)
    assert _backend.cuda_status() == "emulated"


def test_device_tensors_and_moves():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = fn.tensor(host, device="cuda")
    assert x.device == "cuda" and x.device.type == "cuda" and x.is_cuda
    assert isinstance(x._data, _emulated_cuda.DeviceArray) and "__cuda_array_interface__" in dir(x._data)
    assert x.cuda() is x and x.to("cuda") is x
    y = x.cpu()
    assert y.device == "cpu" and not y.is_cuda and type(y._data) is np.ndarray
    assert np.array_equal(y.numpy(), host) and x.tolist() == host.tolist()
    host[0, 0] = 100  # the device copy is a copy
    assert x.tolist()[0][0] == 0
    z = fn.zeros(3, 4, device="cuda")
    assert z.is_cuda and z.sum().is_cuda and float(z.sum()) == 0.0
    with pytest.raises(TypeError, match="can't convert a cuda tensor to numpy"):
        x.numpy()
    assert fn.tensor([1.0, 2.0]).to("cuda").to("cpu").device == "cpu"


def test_element_wise_work_stays_on_the_device():
    x = fn.tensor([[1.0, -2.0], [3.0, 4.0]], device="cuda")
    for result in (x + 1, x * x, (x - x).abs(), x.mean(), x.sum(dim=0), x.T, x[0], x.reshape(4), -x):
        assert result.is_cuda, result


def test_module_to_cuda_moves_parameters_and_buffers():
    model = fn.nn.Sequential(fn.nn.Linear(5, 4), fn.nn.BatchNorm1d(4))
    assert model.to("cuda") is model
    assert all(p.is_cuda for p in model.parameters()) and all(b.is_cuda for b in model.buffers())
    model.to("cpu")
    assert not any(p.is_cuda for p in model.parameters())


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_linear_forward_and_backward_match_the_cpu(dtype, tol):
    x_host = random_array((37, 23), dtype, 1)
    cpu_layer = fn.nn.Linear(23, 19).to(dtype)
    cuda_layer = fn.nn.Linear(23, 19).to(dtype)
    cuda_layer.load_state_dict(cpu_layer.state_dict())
    cuda_layer.to("cuda")
    results = {}
    for name, layer, device in (("cpu", cpu_layer, "cpu"), ("cuda", cuda_layer, "cuda")):
        x = fn.tensor(x_host, device=device, requires_grad=True)
        y = layer(x)
        (y * y).sum().backward()
        assert y.device == device and x.grad.device == device and layer.weight.grad.device == device
        results[name] = [t.cpu().numpy() for t in (y, x.grad, layer.weight.grad, layer.bias.grad)]
    for cuda_value, cpu_value in zip(results["cuda"], results["cpu"]):
        assert relative_error(cuda_value, cpu_value) < tol


def test_a_cuda_matmul_step_runs_only_cuda_kernels():
    layer = fn.nn.Linear(16, 8).to("cuda")
    x = fn.randn(32, 16).cuda()
    with fn.profiler.profile() as prof:
        loss = (layer(x) ** 2).mean()
        loss.backward()
        w = fn.randn(8, 5).cuda()
        (x @ layer.weight.T @ w).sum()
    events = prof.key_averages()
    assert {(e.key, e.device) for e in events} == {("gemm", "cuda"), ("sum_dims", "cuda")}
    counts = {e.key: e.count for e in events}
    assert counts == {"gemm": 4, "sum_dims": 2} and all(e.total_time_us > 0 for e in events)  # bias grad, .sum()
    table = events.table()
    assert "gemm" in table and "cuda" in table and "Calls" in table


def test_the_profiler_records_cpu_kernels_too_and_nests():
    a = fn.randn(8, 8)
    with fn.profiler.profile() as outer:
        with fn.profiler.profile() as inner:
            a @ a
        fn.relu(a)
    assert [(e.key, e.device, e.count) for e in inner.key_averages()] == [("gemm", "cpu", 1)]
    assert {e.key for e in outer.key_averages()} == {"gemm", "relu_forward"}
    assert "relu_forward" in outer.key_averages().table(sort_by="name", row_limit=5)
    with pytest.raises(ValueError, match="sort_by must be one of"):
        outer.key_averages().table(sort_by="cuda_memory_usage")
    assert not fn.profiler.active()


def test_the_profiler_speaks_torch_profiler():
    """activities, torch's sort keys and time attributes: a torch.profiler program runs as is."""
    from fastnn.profiler import ProfilerActivity
    a = fn.randn(8, 8)
    with fn.profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=True) as both:
        with fn.profiler.profile(activities=[ProfilerActivity.CUDA]) as cuda_only:
            a @ a
            (a.cuda() @ a.cuda()).cpu()
    assert {(e.key, e.device) for e in both.key_averages()} == {("gemm", "cpu"), ("gemm", "cuda")}
    assert [(e.key, e.device) for e in cuda_only.key_averages()] == [("gemm", "cuda")]
    for e in both.key_averages():
        assert e.cpu_time_total == e.self_cpu_time_total == e.total_time_us > 0
        assert e.cpu_time == e.avg_time_us
        on_device = e.total_time_us if e.device == "cuda" else 0.0
        assert e.device_time_total == e.cuda_time_total == e.self_cuda_time_total == on_device
    table = both.key_averages().table(sort_by="self_cuda_time_total", row_limit=1)
    assert "cuda" in table.splitlines()[3]
    assert "gemm" in both.key_averages().table(sort_by="cpu_time_total")
    with pytest.raises(TypeError, match="activities must be a list of ProfilerActivity"):
        fn.profiler.profile(activities=ProfilerActivity.CPU)
    with pytest.raises(TypeError, match="got an item 'cpu'"):
        fn.profiler.profile(activities=["cpu"])
    with pytest.raises(NotImplementedError, match="profile_memory=True"):
        fn.profiler.profile(profile_memory=True)


def test_mixing_devices_names_both():
    x = fn.randn(3, 4).cuda()
    w = fn.randn(4, 2)
    with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device, but found at least two "
                                           r"devices, cuda and cpu"):
        x @ w
    with pytest.raises(RuntimeError, match=r"two devices, cuda and cpu"):
        x + fn.randn(3, 4)
    assert (x * fn.tensor(2.0)).is_cuda  # a 0-d CPU tensor is a scalar, as in PyTorch
    layer = fn.nn.Linear(4, 2)  # left on the CPU
    with pytest.raises(RuntimeError, match=r"cuda and cpu"):
        layer(x)


def test_an_op_without_a_cuda_kernel_says_so():
    # every CPU kernel has a CUDA one now: a device module lacking one stands in for a future op
    lacking = _backend.DeviceKernels(types.SimpleNamespace(), "cuda")
    with pytest.raises(NotImplementedError, match=r"conv2d_forward has no CUDA kernel yet, so it cannot run on "
                                                  r"device 'cuda'"):
        lacking.conv2d_forward
    with pytest.raises(AttributeError):
        lacking.no_such_kernel


def test_device_arrays_refuse_host_arrays_like_cupy():
    d = _emulated_cuda.to_device(np.ones((2, 2)))
    with pytest.raises(TypeError, match="found an array on device cpu and one on device cuda"):
        d + np.ones((2, 2))
    with pytest.raises(TypeError, match="concatenate"):
        np.concatenate([d, np.ones((2, 2))])
    assert isinstance(d.sum(), _emulated_cuda.DeviceArray) and d.sum().ndim == 0  # 0-d, as CuPy
    xp = _backend.xp_for(d)
    assert isinstance(xp.zeros(3), _emulated_cuda.DeviceArray) and isinstance(xp.where(d > 0, d, 0),
                                                                               _emulated_cuda.DeviceArray)
    interface = d[:, ::-1].__cuda_array_interface__
    assert interface["version"] == 3 and interface["strides"] == (16, -8) and interface["typestr"] == "<f8"


def test_predict_evaluate_save_and_load_with_a_device_model(tmp_path):
    model = fn.nn.Linear(5, 3).to("cuda")
    x, y = fn.randn(10, 5, device="cuda"), fn.randn(10, 3, device="cuda")
    out = fn.predict(model, x, batch_size=4)
    assert out.is_cuda and relative_error(out.cpu().numpy(), model(x).cpu().numpy()) < 1e-7
    logs = fn.evaluate(model, (x, y), loss_fn=fn.nn.MSELoss(), metrics=("mse",))
    expected = float(((model(x) - y) ** 2).mean())
    assert abs(logs["loss"] - expected) < 1e-6 and abs(logs["mse"] - expected) < 1e-6
    path = tmp_path / "linear.safetensors"
    fn.save(model.state_dict(), path)
    assert all(not t.is_cuda for t in fn.load(path).values())
    restored = fn.nn.Linear(5, 3).to("cuda")
    restored.load_state_dict(fn.load(path, map_location="cuda"))
    assert restored.weight.is_cuda and np.array_equal(restored(x).cpu().numpy(), model(x).cpu().numpy())


def test_an_optimizer_step_runs_its_fused_cuda_kernel():
    model = fn.nn.Linear(4, 2).to("cuda")
    optimizer = fn.optim.SGD(model.parameters(), lr=0.1)
    model(fn.randn(3, 4, device="cuda")).sum().backward()
    with fn.profiler.profile() as prof:
        optimizer.step()
    assert [(e.key, e.device, e.count) for e in prof.key_averages()] == [("sgd_step", "cuda", 2)]


def test_gradcheck_of_the_gemm_ops_on_the_device():
    x = fn.tensor(random_array((5, 7), np.float64, 1), device="cuda", requires_grad=True)
    w = fn.tensor(random_array((3, 7), np.float64, 2), device="cuda", requires_grad=True)
    b = fn.tensor(random_array((3,), np.float64, 3), device="cuda", requires_grad=True)
    with fn.profiler.profile() as prof:
        assert fn.testing.gradcheck(fn.nn.functional.linear, (x, w, b))
        assert fn.testing.gradcheck(lambda p, q: p @ q.T, (x, w))
    assert {(e.key, e.device) for e in prof.key_averages()} == {("gemm", "cuda"), ("sum_dims", "cuda")}


def test_gaussian_nll_with_a_float_variance_stays_on_the_device():
    x, y = fn.randn(4, 3, device="cuda"), fn.randn(4, 3, device="cuda")
    loss = fn.nn.functional.gaussian_nll_loss(x, y, 0.5)
    expected = fn.nn.functional.gaussian_nll_loss(x.cpu(), y.cpu(), 0.5)
    assert loss.is_cuda and abs(float(loss) - float(expected)) < 1e-6


@pytest.mark.parametrize("make", [lambda p: fn.optim.Adam(p), lambda p: fn.optim.NAdam(p), lambda p: fn.optim.Adagrad(p)])
def test_optimizer_state_is_created_on_the_device(make):
    """Step counts and running products too: no host-side state for a device parameter."""
    model = fn.nn.Linear(4, 2).to("cuda")
    optimizer = make(model.parameters())
    model(fn.randn(3, 4, device="cuda")).sum().backward()
    optimizer.step()
    state = optimizer.state[model.weight]
    assert state and all(value.is_cuda for value in state.values()), {k: v.device for k, v in state.items()}
    assert state["step"].dtype == np.float32 and state["step"].ndim == 0 and float(state["step"]) == 1.0
    optimizer.load_state_dict(optimizer.state_dict())
    assert all(value.is_cuda for value in optimizer.state[model.weight].values())


def test_gradient_clipping_stays_on_the_device():
    cpu_model = fn.nn.Linear(6, 3)
    cuda_model = fn.nn.Linear(6, 3)
    cuda_model.load_state_dict(cpu_model.state_dict())
    cuda_model.to("cuda")
    x = random_array((5, 6), np.float32, 4)
    norms = []
    for model, device in ((cpu_model, "cpu"), (cuda_model, "cuda")):
        (model(fn.tensor(x, device=device)) ** 2).sum().backward()
        with fn.profiler.profile() as prof:
            norms.append(fn.nn.utils.clip_grad_norm_(model.parameters(), 0.1))
        assert {(e.key, e.device) for e in prof.key_averages()} == {("vector_norms", device)}
        fn.nn.utils.clip_grad_value_(model.parameters(), 0.01)
    assert norms[1].is_cuda and cuda_model.weight.grad.is_cuda
    assert abs(float(norms[1]) - float(norms[0])) < 1e-5 * float(norms[0])
    assert np.allclose(cuda_model.weight.grad.cpu().numpy(), cpu_model.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_gradients_flow_back_through_device_moves():
    x = fn.tensor(random_array((4, 3), np.float64, 8), requires_grad=True)
    w = fn.tensor(random_array((3, 2), np.float64, 9), device="cuda")
    y = (x.cuda() @ w).cpu()
    assert y.device == "cpu" and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    expected = 2 * (x.numpy() @ w.cpu().numpy()) @ w.cpu().numpy().T
    assert relative_error(x.grad.numpy(), expected) < 1e-12


@pytest.mark.parametrize("op", ["relu", "gelu", "softmax", "log_softmax", "layer_norm", "max_pool1d", "conv1d",
                                "sigmoid", "cross_entropy", "lstm"])
def test_strided_device_tensors_run_as_on_the_cpu(op):
    # transposed views into every kind of kernel: the device adapter copies strided inputs
    F = fn.nn.functional
    fn.manual_seed(0)
    lstm = fn.nn.LSTM(4, 3).double()
    calls = {"relu": F.relu, "gelu": F.gelu, "softmax": lambda t: F.softmax(t, -1),
             "log_softmax": lambda t: F.log_softmax(t, 1), "layer_norm": lambda t: F.layer_norm(t, (4,)),
             "max_pool1d": lambda t: F.max_pool1d(t, 2), "conv1d": lambda t: F.conv1d(t, t.new_ones(2, 5, 3)),
             "sigmoid": fn.sigmoid, "cross_entropy": lambda t: F.cross_entropy(t[:, :, 0], t.new_tensor([0, 1, 2]).long()),
             "lstm": lambda t: lstm.to(t.device)(t)[0]}
    values = random_array((3, 4, 5), np.float64, seed=4)
    results = []
    for device in ("cpu", "cuda"):
        x = fn.tensor(values, device=device).requires_grad_()
        y = calls[op](x.transpose(1, 2))
        (y * y).sum().backward()
        results.append((y.detach().cpu().numpy(), x.grad.cpu().numpy()))
    for cpu, cuda in zip(*results):
        assert relative_error(cuda, cpu) < 1e-12
