"""1D linear regression of f(x) = 2x - 1 from noisy samples, by gradient descent.

The same model (y = w x + b) and loss (mean squared error) trained three ways, which differ only
in how many samples each gradient step sees: full-batch gradient descent (all of them), mini-batch
gradient descent, and stochastic gradient descent (one sample per step). Then the same thing once
more without nn/optim: autograd computes the gradients and we update w and b by hand.

    python examples/01_linear_regression_1d.py [--epochs 100] [--lr 0.1] [--samples 200] [--device cuda]
"""
import argparse
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument


def make_data(n, noise, seed):
    """x uniform in [-1, 1], y = 2x - 1 + Gaussian noise, as float32 tensors of shape [n, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1)).astype(np.float32)
    y = (2 * x - 1 + noise * rng.standard_normal((n, 1))).astype(np.float32)
    return fn.from_numpy(x), fn.from_numpy(y)


def train_linear(x, y, batch_size, epochs, lr, device="cpu"):
    """nn.Linear + MSELoss + optim.SGD over shuffled mini-batches; returns (w, b, final loss, steps)."""
    model = nn.Linear(1, 1).to(device)
    nn.init.zeros_(model.weight)  # start at w = b = 0 like the hand-written version, so that the two
    nn.init.zeros_(model.bias)  # full-batch runs can be compared number for number
    loss_fn = nn.MSELoss()
    optimizer = fn.optim.SGD(model.parameters(), lr=lr)
    loader = fn.data.DataLoader(fn.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    steps = 0
    for _ in range(epochs):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
    with fn.no_grad():
        final_loss = loss_fn(model(x.to(device)), y.to(device)).item()
    return model.weight.item(), model.bias.item(), final_loss, steps


def train_by_hand(x, y, epochs, lr, device="cpu"):
    """Full-batch gradient descent written out: autograd gives dL/dw and dL/db, we step ourselves."""
    x, y = x.to(device), y.to(device)
    w = fn.zeros(1, device=device, requires_grad=True)
    b = fn.zeros(1, device=device, requires_grad=True)
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with fn.no_grad():  # the update itself must not be recorded in the graph
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None  # gradients accumulate across backward() calls unless cleared
        b.grad = None
    with fn.no_grad():
        final_loss = ((w * x + b - y) ** 2).mean().item()
    return w.item(), b.item(), final_loss, epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="number of noisy samples (default 200)")
    parser.add_argument("--noise", type=float, default=0.1, help="noise standard deviation (default 0.1)")
    parser.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--minibatch", type=int, default=16, help="mini-batch size (default 16)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    x, y = make_data(args.samples, args.noise, args.seed)
    print(f"f(x) = 2x - 1 + noise (std {args.noise}), {args.samples} samples, {args.epochs} epochs, lr {args.lr}")
    methods = {
        "full batch": lambda: train_linear(x, y, args.samples, args.epochs, args.lr, args.device),
        f"mini-batch ({args.minibatch})": lambda: train_linear(x, y, args.minibatch, args.epochs, args.lr,
                                                               args.device),
        "SGD (batch 1)": lambda: train_linear(x, y, 1, args.epochs, args.lr, args.device),
        "by hand (full batch)": lambda: train_by_hand(x, y, args.epochs, args.lr, args.device),
    }
    print(f"{'method':<22} {'w':>8} {'b':>8} {'MSE':>8} {'steps':>7} {'time':>7}")
    results = {}
    for name, train in methods.items():
        start = time.perf_counter()
        w, b, loss, steps = train()
        results[name] = (w, b, loss)
        print(f"{name:<22} {w:8.4f} {b:8.4f} {loss:8.5f} {steps:7d} {time.perf_counter() - start:6.2f}s")
    w, b = np.polyfit(x.numpy()[:, 0], y.numpy()[:, 0], 1)
    print(f"{'least squares (exact)':<22} {w:8.4f} {b:8.4f}")
    print(f"(noise alone gives an MSE of about {args.noise ** 2:.5f}; batch 1 takes {args.samples}x more steps "
          "per epoch than full batch, each one noisier: at a fixed lr it keeps jittering around the minimum)")
    return results


if __name__ == "__main__":
    main()
