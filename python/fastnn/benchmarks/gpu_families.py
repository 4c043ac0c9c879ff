"""The per-family rows of bench/gpu_check.py: fastnn on device 'cuda' against PyTorch on the same
device (cuDNN, TF32 off), each forward + backward, on the shapes of bench/: the first four conv
layers of benchmarks/conv.py, the LSTM layers 50x32x64x128 and 100x64x128x256 of
benchmarks/rnn.py (T x B x I x H; the persistent recurrence and the per-step launches), attention
B8 H4 T128 D64, the MLP's training step at batch 1 and 64, the demo CNN's at batch 64 and one
epoch of it on Fashion-MNIST (the full set when installed, else the sample).

Each row checks fastnn's results against PyTorch's on the same inputs and weights (a row is ok
when they agree) and reports both median times and their ratio, PyTorch's time over fastnn's
(above 1: fastnn is faster), next to the issue's target; speed is reported, never asserted.
A dry run uses the emulated device and tiny shapes against PyTorch on the CPU: its numbers only
show that the code runs. Without PyTorch a row times fastnn alone.
"""
import os
import statistics
import time

import numpy as np

import fastnn as fn
from fastnn.benchmarks import conv as conv_bench
from fastnn.benchmarks import rnn as rnn_bench
from fastnn.benchmarks import timing
from fastnn.nn import functional as F

TOLERANCE = 1e-3  # relative error of float32 results between two libraries


def median_seconds(call, synchronize, min_total=0.3, max_reps=50):
    """Median time of `call` run to completion (`synchronize` after each), after one warm-up."""
    call()
    synchronize()
    times = []
    while len(times) < max_reps and (sum(times) < min_total or len(times) < 3):
        start = time.perf_counter()
        call()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Peer:
    """PyTorch on the device the rows compare with (None when PyTorch or its device is missing)."""

    def __init__(self, dry_run):
        self.device = "cpu" if dry_run else "cuda"
        torch = timing.optional_module("torch")
        if torch is not None and self.device == "cuda" and not torch.cuda.is_available():
            torch = None
        self.torch = torch
        if torch is not None and self.device == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False

    def tensor(self, array, requires_grad=False):
        return self.torch.tensor(np.asarray(array), device=self.device, requires_grad=requires_grad)

    def synchronize(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def load(self, module, fastnn_module):
        """`module` (a torch.nn module) with fastnn_module's weights, on the peer's device."""
        state = {k: self.torch.from_numpy(v.cpu().numpy().copy()) for k, v in fastnn_module.state_dict().items()}
        module.load_state_dict(state)
        return module.to(self.device)


def _host(t):
    """A NumPy copy of a fastnn or torch tensor."""
    return t.detach().cpu().numpy()


def _error(ours, theirs):
    """The largest relative error over pairs of (fastnn, torch) tensors."""
    errors = []
    for a, b in zip(ours, theirs):
        a, b = _host(a).astype(np.float64), _host(b).astype(np.float64)
        errors.append(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))
    return max(errors)


def _row(peer, ours, theirs, compare, target):
    """(ok, detail) of one row: `compare()` -> relative error, times of ours and theirs."""
    ours_s = median_seconds(ours, fn.cuda.synchronize)
    if peer.torch is None:
        return True, f"fastnn {ours_s * 1e3:.3f} ms (no PyTorch to compare with)"
    error = compare()
    theirs_s = median_seconds(theirs, peer.synchronize)
    return error < TOLERANCE, (f"fastnn {ours_s * 1e3:.3f} ms, PyTorch {peer.device} {theirs_s * 1e3:.3f} ms "
                               f"({theirs_s / ours_s:.2f}x; target {target}), rel. error {error:.1e}")


def _leaves(arrays, device):
    return [fn.tensor(a, device=device, requires_grad=True) for a in arrays]


def _backward_pair(peer, forward_ours, forward_theirs, arrays, grad_shape_of, target):
    """A row for y = f(*arrays) and its backward with a fixed random grad_output, both libraries."""
    rng = np.random.default_rng(0)
    ours_in, theirs_in = _leaves(arrays, "cuda"), None
    dy = None

    def ours():
        nonlocal dy
        for t in ours_in:
            t.grad = None
        y = forward_ours(*ours_in)
        if dy is None:
            dy = rng.standard_normal(grad_shape_of(y)).astype(np.float32)
        y.backward(fn.tensor(dy, device="cuda"))
        return y

    if peer.torch is not None:
        theirs_in = [peer.tensor(a, requires_grad=True) for a in arrays]

    def theirs():
        for t in theirs_in:
            t.grad = None
        y = forward_theirs(*theirs_in)
        y.backward(peer.tensor(dy))
        return y

    def compare():
        y_ours, y_theirs = ours(), theirs()
        return _error([y_ours] + [t.grad for t in ours_in], [y_theirs] + [t.grad for t in theirs_in])

    return _row(peer, ours, theirs, compare, target)


def conv_rows(dry_run):
    peer = Peer(dry_run)
    rng = np.random.default_rng(1)
    for label, batch, cin, cout, size, kernel, stride, padding in conv_bench.CASES[:4]:
        batch = 1 if dry_run else batch
        x = rng.standard_normal((batch, cin, size, size)).astype(np.float32)
        w = (rng.standard_normal((cout, cin, kernel, kernel)) / np.sqrt(cin * kernel * kernel)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        tf = peer.torch.nn.functional if peer.torch is not None else None
        yield f"conv {label.replace('b64', f'b{batch}')} fwd+bwd", lambda: _backward_pair(
            peer, lambda x, w, b: F.conv2d(x, w, b, stride, padding),
            lambda x, w, b: tf.conv2d(x, w, b, stride, padding), (x, w, b), lambda y: y.shape, ">= 0.8x cuDNN")


def _set_persistent_rnn(enabled):
    """Switches the CUDA recurrent layers between their persistent kernels and per-step launches."""
    from fastnn import _backend
    _backend.kernels_for(fn.zeros(1, device="cuda")._data)._set_rnn_persistent_kernels(enabled)


def lstm_rows(dry_run):
    """Each LSTM size twice: the persistent recurrence (the default) and the per-step launches."""
    peer = Peer(dry_run)
    rng = np.random.default_rng(2)
    for steps, batch, inputs, hidden in [(5, 2, 8, 16)] if dry_run else rnn_bench.SIZES[:2]:
        fn.manual_seed(0)
        layer = fn.nn.LSTM(inputs, hidden).to("cuda")
        peer_layer = peer.load(peer.torch.nn.LSTM(inputs, hidden), layer) if peer.torch is not None else None
        x = rng.standard_normal((steps, batch, inputs)).astype(np.float32)

        def row(persistent, x=x, layer=layer, peer_layer=peer_layer):
            _set_persistent_rnn(persistent)
            try:
                ok, detail = _backward_pair(peer, lambda x: layer(x)[0], lambda x: peer_layer(x)[0], (x,),
                                            lambda y: y.shape, ">= 1.3x PyTorch eager")
            finally:
                _set_persistent_rnn(True)
            if peer_layer is not None:  # the weight gradients of the last compared call
                error = _error([p.grad for p in layer.parameters()], [p.grad for p in peer_layer.parameters()])
                ok = ok and error < TOLERANCE
                detail += f", weight grads {error:.1e}"
            return ok, detail

        for persistent in (True, False):
            yield (f"LSTM {steps}x{batch}x{inputs}x{hidden} fwd+bwd ({'persistent' if persistent else 'per step'})",
                   lambda row=row, persistent=persistent: row(persistent))


def attention_rows(dry_run):
    peer = Peer(dry_run)
    b, h, t, d = (1, 2, 16, 8) if dry_run else (8, 4, 128, 64)
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((b, h, t, d)).astype(np.float32) for _ in range(3)]
    tf = peer.torch.nn.functional if peer.torch is not None else None
    for causal in (False, True):
        yield f"attention B{b} H{h} T{t} D{d}{' causal' if causal else ''} fwd+bwd", lambda causal=causal: (
            _backward_pair(peer, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                           lambda q, k, v: tf.scaled_dot_product_attention(q, k, v, is_causal=causal), arrays,
                           lambda y: y.shape, ">= 1.0x SDPA"))


def _torch_cnn(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def _mlp(nn):
    """The MLP of the CPU benchmarks (784-128-64-10, ReLU) in fastnn.nn or torch.nn."""
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def _cnn():
    from fastnn.demo import build_cnn
    return build_cnn()


class _Trainer:
    """A model and an Adam step on both libraries, from the same initial weights: `build()` makes
    the fastnn model, `build_peer(torch)` the same architecture in PyTorch."""

    def __init__(self, peer, build, build_peer):
        fn.manual_seed(0)
        self.peer = peer
        self.model = build().to("cuda")
        self.optimizer = fn.optim.Adam(self.model.parameters(), lr=1e-3)
        if peer.torch is not None:
            self.peer_model = peer.load(build_peer(peer.torch), self.model)
            self.peer_optimizer = peer.torch.optim.Adam(self.peer_model.parameters(), lr=1e-3)

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss

    def peer_step(self, x, y):
        self.peer_optimizer.zero_grad()
        loss = self.peer.torch.nn.functional.cross_entropy(self.peer_model(x), y)
        loss.backward()
        self.peer_optimizer.step()
        return loss


def _step_row(dry_run, batch, sample_shape, build, build_peer):
    """(ok, detail) of one training step at `batch` on random inputs of `sample_shape`."""
    peer = Peer(dry_run)
    rng = np.random.default_rng(4)
    x, y = rng.random((batch,) + sample_shape).astype(np.float32), rng.integers(0, 10, batch)
    trainer = _Trainer(peer, build, build_peer)
    fx, fy = fn.tensor(x, device="cuda"), fn.tensor(y, device="cuda")
    tx, ty = (peer.tensor(x), peer.tensor(y)) if peer.torch is not None else (None, None)
    # the first step's loss, while the two libraries' weights are still equal, then the timing
    error = _error([trainer.step(fx, fy)], [trainer.peer_step(tx, ty)]) if peer.torch is not None else None
    return _row(peer, lambda: trainer.step(fx, fy), lambda: trainer.peer_step(tx, ty), lambda: error,
                ">= 1.5x PyTorch eager" if sample_shape == (784,) else ">= 1.3x PyTorch eager")


def step_rows(dry_run):
    """The MLP's training step at batch 1 and 64 and the demo CNN's at batch 64 (dry run: 4)."""
    for batch in (1, 64):
        yield f"MLP 784-128-64-10 train step b{batch}", lambda batch=batch: _step_row(
            dry_run, batch, (784,), lambda: _mlp(fn.nn), lambda torch: _mlp(torch.nn))
    batch = 4 if dry_run else 64
    yield f"CNN train step b{batch}", lambda: _step_row(dry_run, batch, (1, 28, 28), _cnn, _torch_cnn)


def cnn_epoch_row(dry_run):
    """One epoch over the training set at batch 64, data already on the device, then the test accuracy."""
    from fastnn.demo import load_fashion_mnist_or_sample

    def row():
        peer = Peer(dry_run)
        (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(flatten=False)
        size = 64 if dry_run else len(x_train)
        x_host, y_host = x_train.numpy()[:size], y_train.numpy()[:size]
        order = np.random.default_rng(5).permutation(size)
        trainer = _Trainer(peer, _cnn, _torch_cnn)
        batches = [(order[i:i + 64]) for i in range(0, size, 64)]
        x, y = fn.tensor(x_host, device="cuda"), fn.tensor(y_host, device="cuda")
        start = time.perf_counter()
        for idx in batches:
            trainer.step(x[idx], y[idx])
        fn.cuda.synchronize()
        ours = time.perf_counter() - start
        accuracy = fn.evaluate(trainer.model, (x_test[:size], y_test[:size]))["accuracy"]
        detail = (f"{'full set' if is_full else 'sample'}, {size} images: fastnn {ours:.2f} s "
                  f"({size / ours:,.0f} images/s), test accuracy {accuracy:.4f}")
        if peer.torch is not None:
            tx, ty = peer.tensor(x_host), peer.tensor(y_host)
            start = time.perf_counter()
            for idx in batches:
                trainer.peer_step(tx[idx], ty[idx])
            peer.synchronize()
            theirs = time.perf_counter() - start
            detail += f"; PyTorch {peer.device} {theirs:.2f} s ({theirs / ours:.2f}x; target >= 1.3x)"
        return accuracy > (0.0 if dry_run else 0.8), detail

    yield "Fashion-MNIST CNN epoch b64", row


def rows(dry_run):
    """(check name, function returning (ok, detail)) of every family row."""
    if dry_run:
        os.environ["FASTNN_CUDA_EMULATE"] = "1"
    for family in (conv_rows, lstm_rows, attention_rows, step_rows, cnn_epoch_row):
        yield from family(dry_run)
