"""Heteroscedastic regression: a network that predicts a mean and a standard deviation.

When the noise of y depends on x, a mean alone hides how far to trust each prediction. Assuming
y | x ~ N(mu(x), sigma(x)^2), the network outputs both, and minimising the Gaussian negative
log-likelihood  1/2 [log sigma^2 + (y - mu)^2 / sigma^2]  (nn.GaussianNLLLoss, which takes the
variance) fits them together: where the data scatter, a larger sigma costs less than the squared
errors it excuses. Softplus keeps sigma positive. Plots the data, mu and the mu +- sigma band to
OUT/07_heteroscedastic_regression.png (needs matplotlib).

    python examples/07_heteroscedastic_regression.py [--samples 1000] [--epochs 300] [--out DIR] [--device cuda]
"""
import argparse
import importlib.util
import os

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.demo import add_device_argument


def true_mean(x):
    return np.sin(x)


def true_std(x):
    return 0.05 + 0.1 * (x + 3)  # noise grows from 0.05 at x = -3 to 0.65 at x = 3


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 1))
    y = true_mean(x) + true_std(x) * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


class MeanStdNet(nn.Module):
    """A shared hidden trunk and two heads: the mean, and the standard deviation (via softplus)."""

    def __init__(self, hidden):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.mean = nn.Linear(hidden, 1)
        self.std = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.mean(h), F.softplus(self.std(h)) + 1e-3  # the floor keeps log(sigma^2) finite


def predict(model, x):
    """(mean, sigma) as 1-D NumPy arrays for the points x [N, 1]."""
    with fn.no_grad():
        mean, std = model(fn.from_numpy(x).to(model.mean.weight.device))
    return mean.cpu().numpy()[:, 0], std.cpu().numpy()[:, 0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="training points (default 1000)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    parser.add_argument("--epochs", type=int, default=300, help="training epochs (default 300)")
    parser.add_argument("--batch-size", type=int, default=100, help="mini-batch size (default 100)")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (default 1e-2)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    x, y = make_data(args.samples, args.seed)
    model = MeanStdNet(args.hidden).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = fn.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, args.epochs // 3), gamma=0.3)
    loss_fn = nn.GaussianNLLLoss()
    loader = fn.data.DataLoader(fn.data.TensorDataset(fn.from_numpy(x), fn.from_numpy(y)),
                                batch_size=args.batch_size, shuffle=True)
    for _ in range(args.epochs):
        for xb, yb in loader:
            xb, yb = xb.to(args.device), yb.to(args.device)
            mean, std = model(xb)
            loss = loss_fn(mean, yb, std ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

    mean_all, std_all = predict(model, x)
    nll = float(np.mean(0.5 * (np.log(std_all ** 2) + (y[:, 0] - mean_all) ** 2 / std_all ** 2)))
    grid = np.linspace(-3, 3, 7, dtype=np.float32)[:, None]
    mean, std = predict(model, grid)
    print(f"y = sin(x) + noise whose std grows with x; {args.samples} points, Gaussian NLL after training {nll:.4f}")
    print(f"{'x':>5} {'mean':>7} {'true':>7} {'sigma':>7} {'true':>7}")
    for xi, m, s in zip(grid[:, 0], mean, std):
        print(f"{xi:5.1f} {m:7.3f} {true_mean(xi):7.3f} {s:7.3f} {true_std(xi):7.3f}")

    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no plot (pip install matplotlib)")
    else:
        print(f"plot written to {plot(model, x, y, args.out)}")
    return {"grid": grid[:, 0], "mean": mean, "std": std, "nll": nll}


def plot(model, x, y, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(-3, 3, 200, dtype=np.float32)[:, None]
    mean, std = predict(model, grid)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(x[:, 0], y[:, 0], s=4, alpha=0.3, color="gray", label="data")
    ax.plot(grid[:, 0], mean, color="tab:red", label="predicted mean")
    ax.fill_between(grid[:, 0], mean - std, mean + std, color="tab:green", alpha=0.3, label="predicted mean ± σ")
    ax.plot(grid[:, 0], true_mean(grid[:, 0]) + true_std(grid[:, 0]), "k--", lw=0.8, label="true mean ± σ")
    ax.plot(grid[:, 0], true_mean(grid[:, 0]) - true_std(grid[:, 0]), "k--", lw=0.8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left")
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "07_heteroscedastic_regression.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
