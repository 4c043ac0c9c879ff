"""Polynomial regression of degree 1, 3 and 30: under-fitting, a good fit and over-fitting.

y = theta_0 + theta_1 x + ... + theta_d x^d is a linear model of the features x, x^2, ..., x^d, so
it is an nn.Linear(d, 1) on standardised powers of x (without standardising, x^30 and x would
differ by orders of magnitude and gradient descent would crawl). First a train/validation split
shows the MSE table of the course: the training error keeps falling with the degree, the
validation error does not. Then 10-fold cross-validation chooses the degree without depending on
one particular split.

    python examples/02_polynomial_regression.py [--samples 30] [--steps 3000] [--folds 10] [--device cuda]
"""
import argparse

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument


def true_function(x):
    return np.sin(np.pi * x)


def make_data(n, noise, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=n)
    return x, true_function(x) + noise * rng.standard_normal(n)


def powers(x, degree):
    """[x, x^2, ..., x^degree] as columns (float64: x^30 of small x underflows float32's precision)."""
    return np.stack([x ** k for k in range(1, degree + 1)], axis=1)


def fit_polynomial(x, y, degree, steps, lr, device="cpu"):
    """Trains nn.Linear(degree, 1) on standardised powers of x by full-batch Adam; returns a
    predict(x) function. The scaler is fitted on the training data only."""
    scaler = fn.data.StandardScaler()
    features = fn.tensor(scaler.fit_transform(powers(x, degree)), dtype=fn.float32, device=device)
    targets = fn.tensor(y[:, None], dtype=fn.float32, device=device)
    model = nn.Linear(degree, 1).to(device)
    optimizer = fn.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        loss = loss_fn(model(features), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def predict(x_new):
        with fn.no_grad():
            features = fn.tensor(scaler.transform(powers(x_new, degree)), dtype=fn.float32, device=device)
            return model(features).cpu().numpy()[:, 0]
    return predict


def mse(predict, x, y):
    return float(np.mean((predict(x) - y) ** 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30, help="samples, half for training (default 30)")
    parser.add_argument("--noise", type=float, default=0.2, help="noise standard deviation (default 0.2)")
    parser.add_argument("--degrees", type=int, nargs="+", default=[1, 3, 30], help="degrees to compare")
    parser.add_argument("--steps", type=int, default=3000, help="Adam steps per fit (default 3000)")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam learning rate (default 0.05)")
    parser.add_argument("--folds", type=int, default=10, help="cross-validation folds (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    x, y = make_data(args.samples, args.noise, args.seed)
    x_train, x_val, y_train, y_val = x[::2], x[1::2], y[::2], y[1::2]
    print(f"y = sin(pi x) + noise (std {args.noise}): {len(x_train)} training and {len(x_val)} validation samples")
    print(f"{'degree':>6} {'train MSE':>10} {'val MSE':>10}")
    table = {}
    for degree in args.degrees:
        predict = fit_polynomial(x_train, y_train, degree, args.steps, args.lr, args.device)
        table[degree] = (mse(predict, x_train, y_train), mse(predict, x_val, y_val))
        print(f"{degree:6d} {table[degree][0]:10.4f} {table[degree][1]:10.4f}")

    print(f"\n{args.folds}-fold cross-validation on all {len(x)} samples (mean validation MSE over the folds):")
    folds = fn.data.KFold(n_splits=args.folds, shuffle=True, seed=args.seed)
    cv = {}
    for degree in args.degrees:
        scores = [mse(fit_polynomial(x[train], y[train], degree, args.steps, args.lr, args.device), x[val], y[val])
                  for train, val in folds.split(len(x))]
        cv[degree] = float(np.mean(scores))
        print(f"degree {degree:2d}: {cv[degree]:.4f}  (folds: {' '.join(f'{s:.3f}' for s in scores)})")
    best = min(cv, key=cv.get)
    print(f"chosen degree: {best}")
    return {"table": table, "cv": cv, "best": best}


if __name__ == "__main__":
    main()
