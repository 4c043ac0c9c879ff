"""Fashion-MNIST with a softmax linear classifier: nn.Linear(784, 10) + nn.CrossEntropyLoss.

Each image (28x28 pixels, flattened to 784 values in [0, 1]) gets one score per class,
s = W x + b; softmax turns the scores into probabilities and the cross-entropy is minus the log
probability of the true class (CrossEntropyLoss applies the softmax itself, so the model outputs
raw scores). 10% of the training images are held out for validation; the test set is used once,
at the end. Uses the full dataset when installed, else the sample bundled with fastnn.

    python examples/05_fashion_mnist_linear.py [--epochs 5] [--lr 0.1] [--sample] [--device cuda]
"""
import argparse

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.datasets import FashionMNIST
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate (default 0.1)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(args.sample)
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training, "
          f"{len(x_test):,} test images")
    train, val = fn.data.random_split(fn.data.TensorDataset(x_train, y_train), [0.9, 0.1])
    model = nn.Linear(784, 10).to(args.device)
    optimizer = fn.optim.SGD(model.parameters(), lr=args.lr)
    fn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=args.epochs, batch_size=args.batch_size,
           val_data=val)
    test = fn.evaluate(model, (x_test, y_test), nn.CrossEntropyLoss())
    print(f"test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f}")

    predicted = fn.predict(model, x_test).cpu().numpy().argmax(axis=1)
    truth = y_test.numpy()
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    print("per-class test accuracy:")
    for k, name in enumerate(FashionMNIST.classes):
        print(f"  {name:<12} {confusion[k, k] / confusion[k].sum():.3f}")
    np.fill_diagonal(confusion, 0)
    true_class, predicted_class = np.unravel_index(confusion.argmax(), confusion.shape)
    print(f"most frequent confusion: {FashionMNIST.classes[true_class]} taken for "
          f"{FashionMNIST.classes[predicted_class]} ({confusion.max()} times)")
    return test


if __name__ == "__main__":
    main()
