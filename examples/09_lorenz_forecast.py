"""Forecasting the chaotic Lorenz-63 system with a GRU: one step ahead, then free-running.

The course's physical-modelling example: dx/dt = sigma (y - x), dy/dt = x (rho - z) - y,
dz/dt = x y - beta z with sigma = 10, rho = 28, beta = 8/3, integrated here with 4th-order
Runge-Kutta. A GRU reads a window of standardised states (fn.data.StandardScaler, fitted on the
training part only) and predicts the next one; its output is the change from the window's last
state, so it has to learn the dynamics' increment and the baseline it must beat, persistence
("the next state is the last one"), is its zero output. The first part of the trajectory trains
it, the rest tests it:
  - one step ahead: each prediction starts from a true window; its MSE is compared with
    persistence's.
  - free-running rollout: each prediction is appended to the window and fed back. Lorenz-63 is
    chaotic (largest Lyapunov exponent about 0.91: errors grow e-fold every 1.1 time units), so
    any rollout leaves the true trajectory eventually; how long it stays close is the measure.
The plot OUT/09_lorenz_forecast.png shows x, y, z: true, one-step and rollout (needs matplotlib).

    python examples/09_lorenz_forecast.py [--steps 5000] [--epochs 20] [--window 16] [--out DIR] [--device cuda]
"""
import argparse
import importlib.util
import os

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument

LYAPUNOV_EXPONENT = 0.906  # the largest one of Lorenz-63 at the classic parameters


def lorenz63(state, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    x, y, z = state
    return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])


def rk4_step(f, state, dt):
    k1 = f(state)
    k2 = f(state + dt / 2 * k1)
    k3 = f(state + dt / 2 * k2)
    k4 = f(state + dt * k3)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def lorenz_trajectory(steps, dt, burn_in=500):
    """[steps, 3] states dt apart, after burn_in steps that bring (1, 1, 1) onto the attractor."""
    state = np.ones(3)
    for _ in range(burn_in):
        state = rk4_step(lorenz63, state, dt)
    trajectory = np.empty((steps, 3))
    for i in range(steps):
        trajectory[i] = state
        state = rk4_step(lorenz63, state, dt)
    return trajectory


def windows(series, length):
    """(inputs [N, length, 3], targets [N, 3]): every window of the series and the state after it."""
    inputs = np.lib.stride_tricks.sliding_window_view(series[:-1], length, axis=0).transpose(0, 2, 1)
    return np.ascontiguousarray(inputs, dtype=np.float32), series[length:].astype(np.float32)


class Forecaster(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.gru = nn.GRU(3, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 3)

    def forward(self, window):
        """window [N, T, 3] -> the state after it [N, 3]: the last state plus a learnt increment."""
        outputs, _ = self.gru(window)
        return window[:, -1] + self.head(outputs[:, -1])


def rollout(model, window, steps, device="cpu"):
    """Free-running forecast: each prediction is appended to the window and fed back."""
    window = window.copy()
    predictions = np.empty((steps, 3), dtype=np.float32)
    model.eval()
    with fn.no_grad():
        for i in range(steps):
            predictions[i] = model(fn.tensor(window[None], device=device))[0].cpu().numpy()
            window = np.concatenate([window[1:], predictions[i:i + 1]])
    return predictions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="states in the trajectory (default 5000)")
    parser.add_argument("--dt", type=float, default=0.02, help="time between states (default 0.02)")
    parser.add_argument("--train-fraction", type=float, default=0.8, help="first part used to train (default 0.8)")
    parser.add_argument("--window", type=int, default=16, help="states the GRU reads (default 16)")
    parser.add_argument("--hidden", type=int, default=64, help="GRU hidden size (default 64)")
    parser.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
    parser.add_argument("--rollout", type=int, default=250, help="free-running forecast steps (default 250)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    trajectory = lorenz_trajectory(args.steps, args.dt)
    split = int(args.train_fraction * args.steps)
    scaler = fn.data.StandardScaler().fit(trajectory[:split])
    series = scaler.transform(trajectory)
    x_train, y_train = windows(series[:split], args.window)
    x_test, y_test = windows(series[split - args.window:], args.window)  # test targets: the states after split
    print(f"Lorenz-63, RK4 with dt {args.dt}: {args.steps} states ({args.steps * args.dt:g} time units); "
          f"{len(x_train)} training and {len(x_test)} test windows of {args.window} states")

    model = Forecaster(args.hidden).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    history = fn.fit(model, nn.MSELoss(), optimizer, (x_train, y_train), epochs=args.epochs,
                     batch_size=args.batch_size, metrics=(), progress=False)
    print("training loss per epoch: " + ", ".join(f"{loss:.2e}" for loss in history["loss"]))

    one_step = fn.predict(model, x_test).cpu().numpy()
    one_step_mse = float(np.mean((one_step - y_test) ** 2))
    persistence_mse = float(np.mean((x_test[:, -1] - y_test) ** 2))
    print(f"one-step test MSE (standardised units): GRU {one_step_mse:.2e}, persistence {persistence_mse:.2e} "
          f"({persistence_mse / one_step_mse:.0f}x lower)")

    steps = min(args.rollout, len(x_test))
    free_run = rollout(model, x_test[0], steps, args.device)
    distance = np.linalg.norm(free_run - y_test[:steps], axis=1)
    valid_steps = int(np.argmax(distance > 0.5)) if np.any(distance > 0.5) else steps
    valid_time = valid_steps * args.dt
    print(f"free-running rollout: within 0.5 (standardised) of the truth for {valid_steps} of {steps} steps "
          f"(t = {valid_time:.2f}, {valid_time * LYAPUNOV_EXPONENT:.1f} Lyapunov times)")

    results = {"one_step_mse": one_step_mse, "persistence_mse": persistence_mse, "valid_steps": valid_steps,
               "history": history}
    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no plot (pip install matplotlib)")
    else:
        truth, one_step, free_run = (scaler.inverse_transform(a[:steps]) for a in (y_test, one_step, free_run))
        results["plot"] = plot(truth, one_step, free_run, args.dt, args.out)
        print(f"plot written to {results['plot']}")
    return results


def plot(truth, one_step, free_run, dt, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    time = np.arange(len(truth)) * dt
    fig, axes = plt.subplots(3, 1, figsize=(8, 6.5), sharex=True)
    for i, (ax, name) in enumerate(zip(axes, "xyz")):
        ax.plot(time, truth[:, i], color="black", lw=1.5, label="true")
        ax.plot(time, one_step[:, i], "--", color="tab:blue", lw=1.2, label="one step ahead")
        ax.plot(time, free_run[:, i], color="tab:red", lw=1, label="free-running rollout")
        ax.set_ylabel(name)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_title("Lorenz-63 test trajectory: GRU forecasts")
    axes[-1].set_xlabel("time after the end of the training data")
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "09_lorenz_forecast.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
