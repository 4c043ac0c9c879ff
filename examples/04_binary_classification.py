"""Binary classification of two interleaving half-moons with an MLP and binary cross-entropy.

The model's single output, passed through a sigmoid, is read as p(class 1 | x); the loss is
BCE = -[y log p + (1 - y) log(1 - p)] and the prediction is class 1 when p > 1/2. Trained twice:
with an nn.Sigmoid() output layer and nn.BCELoss, and with raw scores (logits) and
nn.BCEWithLogitsLoss, which fuses the sigmoid into the loss and stays accurate where the sigmoid
saturates (the usual choice in practice). A linear model (logistic regression) for comparison.

    python examples/04_binary_classification.py [--samples 1000] [--epochs 40] [--noise 0.2] [--device cuda]
"""
import argparse

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument


def make_moons(n, noise, seed):
    """Two half-circles (class 0 on top, class 1 below and shifted), plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    angle = rng.uniform(0, np.pi, size=n)
    x = np.where(labels == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.float32)[:, None]


def mlp(hidden, output_layer):
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 1), *output_layer)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="points, 80%% for training (default 1000)")
    parser.add_argument("--noise", type=float, default=0.2, help="noise standard deviation (default 0.2)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units per layer (default 32)")
    parser.add_argument("--epochs", type=int, default=40, help="training epochs (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    points, labels = make_moons(args.samples, args.noise, args.seed)
    x_train, x_val, _, y_train, y_val, _ = fn.data.train_val_test_split(points, labels, val_size=0.2, test_size=0,
                                                                        seed=args.seed)
    print(f"two moons (noise {args.noise}): {len(x_train)} training and {len(x_val)} validation points")
    variants = {
        "Sigmoid + BCELoss": (mlp(args.hidden, [nn.Sigmoid()]), nn.BCELoss()),
        "logits + BCEWithLogitsLoss": (mlp(args.hidden, []), nn.BCEWithLogitsLoss()),
        "linear (logistic regr.)": (nn.Linear(2, 1), nn.BCEWithLogitsLoss()),
    }
    accuracies = {}
    for name, (model, loss_fn) in variants.items():
        model = model.to(args.device)
        optimizer = fn.optim.Adam(model.parameters(), lr=1e-2)
        history = fn.fit(model, loss_fn, optimizer, (x_train, y_train), epochs=args.epochs, batch_size=32,
                         val_data=(x_val, y_val), progress=False)
        accuracies[name] = history["val_accuracy"][-1]
        print(f"{name:<27} train loss {history['loss'][-1]:.4f}, validation accuracy {accuracies[name]:.3f}")
    print("(the linear model can only draw a straight boundary; the moons interleave)")
    return accuracies


if __name__ == "__main__":
    main()
