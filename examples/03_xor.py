"""XOR with a 2-layer MLP: the classic function a linear model cannot represent.

A linear model's best least-squares fit of XOR is the constant 1/2 (the four points are not
linearly separable). One hidden ReLU layer is enough: with it the network can compute OR and
NAND in the hidden units and AND them at the output. Trained with the course's MSE loss.

    python examples/03_xor.py [--hidden 8] [--steps 500] [--lr 0.05] [--device cuda]
"""
import argparse

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)


def train(model, x, y, steps, lr):
    optimizer = fn.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=8, help="hidden units (default 8)")
    parser.add_argument("--steps", type=int, default=500, help="full-batch Adam steps (default 500)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    x, y = fn.from_numpy(INPUTS).to(args.device), fn.from_numpy(TARGETS).to(args.device)
    linear = nn.Linear(2, 1).to(args.device)
    mlp = nn.Sequential(nn.Linear(2, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 1)).to(args.device)
    linear_loss = train(linear, x, y, args.steps, args.lr)
    mlp_loss = train(mlp, x, y, args.steps, args.lr)
    with fn.no_grad():
        linear_out, mlp_out = linear(x).cpu().numpy()[:, 0], mlp(x).cpu().numpy()[:, 0]
    print(f"{'x1':>3} {'x2':>3} {'XOR':>4} {'linear':>8} {'MLP':>8} {'MLP > 0.5':>10}")
    for (x1, x2), target, lin, out in zip(INPUTS, TARGETS[:, 0], linear_out, mlp_out):
        print(f"{x1:3.0f} {x2:3.0f} {target:4.0f} {lin:8.3f} {out:8.3f} {int(out > 0.5):10d}")
    solved = bool(np.array_equal(mlp_out > 0.5, TARGETS[:, 0] > 0.5))
    print(f"linear model: MSE {linear_loss:.4f} (the best line predicts 1/2 everywhere: MSE 0.25)")
    print(f"MLP 2-{args.hidden}-1: MSE {mlp_loss:.6f}, XOR {'solved' if solved else 'NOT solved'}")
    return {"solved": solved, "mlp_output": mlp_out, "linear_loss": linear_loss}


if __name__ == "__main__":
    main()
