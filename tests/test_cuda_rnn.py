"""Recurrent kernels on every backend (cpu, cuda_emu under two schedules, cuda on a GPU): LSTM, GRU
and RNN (tanh, relu) whole-sequence forward and backward and the three cells, float32 and float64,
against the float64 step loops of tests/reference.py and the CPU kernels: awkward sizes (T = 1,
B = 1, H = 1, H = 33, I = 5, several gemm tiles with H = 70, B = 17), reverse, with and without
h0 / c0, biases and the final-state gradients, input_grad False; results bitwise repeatable over
runs and emulator schedules. Each CUDA check runs both recurrence paths: the persistent kernels
(the default up to H = 256; B = 7 at H = 256 in float64 spreads blocks of 4 / 3 rows) and the
per-step launches, and H = 257 takes the per-step path either way. (Every output of the RNN bindings is allocated by the binding, so
there is no `out=` to poison.) Model level on device 'cuda' (emulated): a 2-layer bidirectional
batch_first nn.LSTM and an nn.GRU trained a few SGD steps as on the CPU."""
import fastnn as fn
import numpy as np
import pytest
from fastnn import _backend, nn
from fastnn.nn import functional as F
from test_rnn import run_reference
from helpers import assert_trains_like_the_cpu, random_array, relative_error, tolerance

CPU = _backend.cpu
KINDS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}

# T, B, I, H, reverse, with_state, bias
CASES = [
    (1, 1, 1, 1, False, True, True),
    (3, 2, 5, 33, True, False, True),
    (2, 17, 5, 70, False, True, False),
    (4, 3, 5, 7, True, True, True),
    (1, 4, 3, 2, True, False, False),
    (2, 7, 3, 256, False, True, True),
    (2, 3, 2, 257, True, True, True),
]


@pytest.fixture(params=["persistent", "per_step"])
def recurrence(request, backend):
    """The recurrence path of the backend's CUDA kernels for one test (the CPU has one path)."""
    if not backend.is_cuda:
        if request.param == "per_step":
            pytest.skip("the CPU kernels have one recurrence path")
        yield request.param
        return
    backend.kernels._set_rnn_persistent_kernels(request.param == "persistent")
    try:
        yield request.param
    finally:
        backend.kernels._set_rnn_persistent_kernels(True)


def _case_id(c):
    return f"T{c[0]}-B{c[1]}-I{c[2]}-H{c[3]}" + ("-rev" if c[4] else "") + ("-h0" if c[5] else "") + (
        "-bias" if c[6] else "")


def make_args(kind, dtype, steps, batch, inputs, hidden, with_state, bias, seed=0):
    g = GATES[kind] * hidden
    return {"x": random_array((steps, batch, inputs), dtype, seed),
            "w_ih": random_array((g, inputs), dtype, seed + 1),
            "w_hh": random_array((g, hidden), dtype, seed + 2) * dtype(0.7),
            "b_ih": random_array((g,), dtype, seed + 3) if bias else None,
            "b_hh": random_array((g,), dtype, seed + 4) if bias else None,
            "h0": random_array((batch, hidden), dtype, seed + 5) if with_state else None,
            "c0": random_array((batch, hidden), dtype, seed + 6) if with_state and kind == "lstm" else None,
            "dy": random_array((steps, batch, hidden), dtype, seed + 7),
            "dh_n": random_array((batch, hidden), dtype, seed + 8) if with_state else None,
            "dc_n": random_array((batch, hidden), dtype, seed + 9) if with_state and kind == "lstm" else None}


def run_sequence(k, to, kind, a, reverse, input_grad=True):
    """(forward outputs, backward outputs) of kernel module k on arrays moved by `to`."""
    d = {name: None if v is None else to(v) for name, v in a.items()}
    w = (d["w_ih"], d["w_hh"], d["b_ih"], d["b_hh"])
    if kind == "lstm":
        y, cell, gates = k.lstm_forward(d["x"], d["h0"], d["c0"], *w, reverse)
        back = k.lstm_backward(d["dy"], d["dh_n"], d["dc_n"], d["x"], d["h0"], d["c0"], *w, y, cell, gates, reverse,
                               input_grad)
        return (y, gates, cell), back
    if kind == "gru":
        y, gates = k.gru_forward(d["x"], d["h0"], *w, reverse)
        back = k.gru_backward(d["dy"], d["dh_n"], d["x"], d["h0"], *w, y, gates, reverse, input_grad)
        return (y, gates), back
    y = k.rnn_forward(d["x"], d["h0"], *w, kind[4:], reverse)
    back = k.rnn_backward(d["dy"], d["dh_n"], d["x"], d["h0"], *w, y, kind[4:], reverse, input_grad)
    return (y,), back


def expected_grads(kind, a, ref_back):
    """The reference gradients the binding returns: None for h0, c0 and biases not given."""
    lstm = kind == "lstm"
    dx, dh0, rest = ref_back[0], ref_back[1], list(ref_back[2:])
    dc0 = rest.pop(0) if lstm else None
    dw_ih, dw_hh, db_ih, db_hh = rest
    out = [dx, dh0 if a["h0"] is not None else None]
    if lstm:
        out.append(dc0 if a["c0"] is not None else None)
    out += [dw_ih, dw_hh] + ([db_ih, db_hh] if a["b_ih"] is not None else [None, None])
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_sequence_kernels(backend, recurrence, dtype, kind, case):
    steps, batch, inputs, hidden, reverse, with_state, bias = case
    a = make_args(kind, dtype, steps, batch, inputs, hidden, with_state, bias)
    outs, back = run_sequence(backend.kernels, backend.device, kind, a, reverse)
    cpu_outs, cpu_back = run_sequence(CPU, lambda v: v, kind, a, reverse)
    ref_outs, ref_back = run_reference(kind, a, reverse)
    tol = 10 * tolerance(dtype, steps * (inputs + hidden))
    for got, cpu, want in zip(outs, cpu_outs, ref_outs):
        got = backend.host(got)
        assert got.dtype == dtype and got.shape == want.shape
        assert relative_error(got, want) < tol
        assert relative_error(got, cpu) < tol
    wanted = expected_grads(kind, a, ref_back)
    assert len(back) == len(wanted) == len(cpu_back)
    for got, cpu, want in zip(back, cpu_back, wanted):
        assert (got is None) == (want is None) == (cpu is None)
        if got is None:
            continue
        got = backend.host(got)
        assert got.dtype == dtype
        assert relative_error(got, want) < 10 * tol
        assert relative_error(got, cpu) < 10 * tol


@pytest.mark.parametrize("kind", KINDS)
def test_sequence_backward_without_input_grad(backend, recurrence, kind):
    a = make_args(kind, np.float64, 3, 2, 5, 4, True, True)
    _, back = run_sequence(backend.kernels, backend.device, kind, a, False, input_grad=False)
    _, full = run_sequence(CPU, lambda v: v, kind, a, False)
    assert back[0] is None
    for got, cpu in zip(back[1:], full[1:]):
        assert relative_error(backend.host(got), cpu) < 1e-12


def run_cell(k, to, kind, a):
    d = {name: None if v is None else to(v[0] if name in ("x", "dy") else v) for name, v in a.items()}
    w = (d["w_ih"], d["w_hh"], d["b_ih"], d["b_hh"])
    if kind == "lstm":
        h1, c1, gates = k.lstm_cell_forward(d["x"], d["h0"], d["c0"], *w)
        back = k.lstm_cell_backward(d["dy"], d["dc_n"], d["x"], d["h0"], d["c0"], *w, c1, gates)
        return (h1, gates, c1), back
    if kind == "gru":
        h1, gates = k.gru_cell_forward(d["x"], d["h0"], *w)
        return (h1, gates), k.gru_cell_backward(d["dy"], d["x"], d["h0"], *w, gates)
    h1 = k.rnn_cell_forward(d["x"], d["h0"], *w, kind[4:])
    return (h1,), k.rnn_cell_backward(d["dy"], d["x"], d["h0"], *w, h1, kind[4:])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("with_state,bias", [(True, True), (False, False)], ids=["h0+bias", "zeros+nobias"])
def test_cell_kernels(backend, recurrence, dtype, kind, with_state, bias):
    a = make_args(kind, dtype, 1, 5, 5, 33, with_state, bias, seed=10)
    a["dh_n"] = None  # a cell has no separate final-state gradient (dc1 is dc_n)
    outs, back = run_cell(backend.kernels, backend.device, kind, a)
    cpu_outs, cpu_back = run_cell(CPU, lambda v: v, kind, a)
    ref_outs, ref_back = run_reference(kind, a, False)
    tol = 10 * tolerance(dtype, 38)
    for got, cpu, want in zip(outs, cpu_outs, ref_outs):
        got = backend.host(got)
        assert got.shape == want.shape[1:]
        assert relative_error(got, want[0]) < tol
        assert relative_error(got, cpu) < tol
    wanted = expected_grads(kind, a, ref_back)
    wanted[0] = wanted[0][0]
    for got, cpu, want in zip(back, cpu_back, wanted):
        assert (got is None) == (want is None) == (cpu is None)
        if got is not None:
            assert relative_error(backend.host(got), want) < 10 * tol
            assert relative_error(backend.host(got), cpu) < 10 * tol


@pytest.mark.parametrize("kind", KINDS)
def test_bitwise_repeatable(backend, recurrence, kind):
    a = make_args(kind, np.float32, 3, 17, 5, 70, True, True, seed=20)

    def run(reverse):
        outs, back = run_sequence(backend.kernels, backend.device, kind, a, reverse)
        return [backend.host(v).tobytes() for v in outs + tuple(back) if v is not None]

    for reverse in (False, True):
        first = run(reverse)
        assert run(reverse) == first
        if backend.schedule is not None:  # another thread order inside each block: the same bits
            other = "reverse" if backend.schedule == "forward" else "forward"
            backend.kernels._emulator_set_schedule(other, 1)
            assert run(reverse) == first
            backend.kernels._emulator_set_schedule("random", 7)
            assert run(reverse) == first
            backend.kernels._emulator_set_schedule(backend.schedule, 1)


# ------------------------------------------------------------------------------ Python level
def run_model(device, dtype, name, steps=3):
    fn.manual_seed(0)
    if name == "lstm":
        model = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    else:
        model = nn.GRU(4, 5, num_layers=1, batch_first=False)
    if dtype == np.float64:
        model = model.double()
    model = model.to(device)
    optimizer = fn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    shape = (3, 5, 4) if name == "lstm" else (5, 3, 4)
    x = fn.tensor(rng.standard_normal(shape).astype(dtype), device=device)
    h0 = fn.tensor(rng.standard_normal((1, 3, 5)).astype(dtype), device=device) if name == "gru" else None
    losses = []
    with fn.profiler.profile() as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            out, state = model(x) if h0 is None else model(x, h0)
            h_n = state[0] if name == "lstm" else state
            loss = (out * out).mean() + (h_n * h_n).sum() * 0.1
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
    state = {key: t.cpu().numpy() for key, t in model.state_dict().items()}
    return losses, state, prof


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_rnn_models_train_on_cuda_as_on_the_cpu(monkeypatch, dtype, name):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    kernels = assert_trains_like_the_cpu(run_model("cpu", dtype, name), run_model("cuda", dtype, name), dtype)
    assert {f"{name}_forward", f"{name}_backward"} <= kernels
