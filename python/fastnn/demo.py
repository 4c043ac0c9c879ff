"""`python -m fastnn demo`: an MLP trained on Fashion-MNIST, offline, in seconds.

Also home of `load_fashion_mnist_or_sample`, which the Fashion-MNIST examples share with the
demo: the full dataset when it is on disk, else the sample bundled inside fastnn.
"""
import time

from fastnn.datasets import DatasetNotFoundError, load_fashion_mnist

SAMPLE_NOTE = ("note: the full Fashion-MNIST was not found, so this uses the 6,000-image sample bundled with "
               "fastnn; for the full set: `sudo apt-get install dataset-fashion-mnist`, or put the four "
               "*-ubyte.gz files in DIR/fashion-mnist and set FASTNN_DATA=DIR")


def load_fashion_mnist_or_sample(sample=False, flatten=True):
    """((x_train, y_train), (x_test, y_test), is_full): Fashion-MNIST as float32 tensors in [0, 1]
    ([N, 784] with flatten=True, else [N, 1, 28, 28]) and int64 labels.

    The full dataset when found in fastnn.datasets' search order (never downloading: the demo and
    examples must work offline); otherwise, or with sample=True, the bundled sample, saying so
    (with how to get the full set) when it was not asked for.
    """
    if not sample:
        try:
            train = load_fashion_mnist(train=True, download=False, flatten=flatten)
            test = load_fashion_mnist(train=False, download=False, flatten=flatten)
            return train, test, True
        except DatasetNotFoundError:
            print(SAMPLE_NOTE, flush=True)
    train = load_fashion_mnist(train=True, sample=True, flatten=flatten)
    test = load_fashion_mnist(train=False, sample=True, flatten=flatten)
    return train, test, False


def build_mlp():
    """784-256-128-10 with ReLU: the classic Fashion-MNIST baseline (about 0.86 after 2 epochs)."""
    from fastnn import nn

    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def run(epochs=2, batch_size=128, sample=False, seed=0, progress=True):
    """Trains the MLP with Adam (lr 1e-3), prints and returns (test accuracy, training images/s)."""
    import fastnn as fn

    fn.manual_seed(seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(sample)
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(x_test):,} test images; MLP 784-256-128-10, Adam lr 1e-3, batch {batch_size}, {epochs} epochs, "
          f"{fn.get_num_threads()} threads", flush=True)
    model = build_mlp()
    optimizer = fn.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = fn.fit(model, fn.nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=epochs,
                     batch_size=batch_size, progress=progress)
    elapsed = time.perf_counter() - start
    accuracy = fn.evaluate(model, (x_test, y_test))["accuracy"]
    images_per_s = len(history.epoch) * len(x_train) / sum(history["time"])
    print(f"test accuracy: {accuracy:.4f}")
    print(f"training: {images_per_s:,.0f} images/s ({elapsed:.1f} s for {epochs} epochs)")
    return accuracy, images_per_s


def add_arguments(parser):
    """The demo's command-line options, added to `python -m fastnn demo`'s parser."""
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
    parser.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--sample", action="store_true", help="use the bundled 6,000-image sample even when "
                                                               "the full dataset is installed")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
