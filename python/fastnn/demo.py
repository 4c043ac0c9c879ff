"""`python -m fastnn demo`: a small CNN trained on Fashion-MNIST, offline, in seconds.

Also home of what the examples share with the demo: `load_fashion_mnist_or_sample` (the full
dataset when it is on disk, else the sample bundled inside fastnn), the models `build_mlp` and
`build_cnn`, `save_image_rows`, the PNG figure of the image examples, `add_device_argument`,
their --device option, and `where`, which names what runs the kernels.
"""
import argparse
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


def save_image_rows(path, rows, scale=1.2):
    """Writes a PNG figure (needs matplotlib): one row per (title, images) pair, images as arrays
    of shape [N, 1, H, W] or [N, H, W] with values in [0, 1], the title left of its row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = max(len(images) for _, images in rows)
    fig, axes = plt.subplots(len(rows), columns, figsize=(scale * columns, (scale + 0.1) * len(rows)),
                             squeeze=False)
    for (title, images), row in zip(rows, axes):
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_frame_on(False)
        for image, ax in zip(images, row):
            ax.imshow(image.reshape(image.shape[-2:]), cmap="gray", vmin=0, vmax=1)
        row[0].set_ylabel(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def device_argument(name):
    """The argparse type of --device: 'cpu' or 'cuda' ('cuda:0'), refused with the reason when this
    machine cannot run CUDA kernels."""
    import fastnn as fn

    try:
        device = fn.device(name)
    except (RuntimeError, TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if device.type == "cuda" and not fn.cuda.is_available():
        raise argparse.ArgumentTypeError(
            "no CUDA device: this build has no CUDA kernels or no GPU can run them (fn.cuda.is_available() is "
            "False); set FASTNN_CUDA_EMULATE=1 to run the CUDA kernels on the CPU's emulator (slowly)")
    return str(device)


def add_device_argument(parser):
    """--device cpu|cuda (default cpu): where an example's model, data and kernels live."""
    parser.add_argument("--device", type=device_argument, default="cpu",
                        help="cpu or cuda (default cpu; FASTNN_CUDA_EMULATE=1 emulates cuda on the CPU)")


def build_mlp():
    """784-256-128-10 with ReLU: the classic Fashion-MNIST baseline (about 0.86 after 2 epochs)."""
    from fastnn import nn

    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def build_cnn(batch_norm=False):
    """Two conv blocks (3x3 conv, padding 1 [+ BatchNorm2d], ReLU, 2x2 max-pool: 1x28x28 -> 32x14x14
    -> 64x7x7), then Linear(3136, 128), ReLU, Linear(128, 10): about 0.88 test accuracy after one
    epoch of Adam, 0.91-0.92 after five."""
    from fastnn import nn

    def block(in_channels, out_channels):
        # With batch norm right after it, the convolution's bias would only be subtracted again.
        layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=not batch_norm)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        return layers + [nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def run(epochs=1, batch_size=64, sample=False, seed=0, progress=True, device="cpu", train_size=None,
        test_size=None):
    """Trains the CNN with Adam (lr 1e-3) on `device`, on the first train_size / test_size images
    (None: all), prints and returns (test accuracy, training images/s)."""
    import fastnn as fn

    fn.manual_seed(seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(sample, flatten=False)
    x_train, y_train = x_train[:train_size], y_train[:train_size]
    x_test, y_test = x_test[:test_size], y_test[:test_size]
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(x_test):,} test images; CNN (two conv+ReLU+max-pool blocks, two linear layers), Adam lr 1e-3, "
          f"batch {batch_size}, {epochs} epoch{'s' if epochs != 1 else ''}, {where(device)}", flush=True)
    model = build_cnn().to(device)
    optimizer = fn.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = fn.fit(model, fn.nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=epochs,
                     batch_size=batch_size, progress=progress)
    elapsed = time.perf_counter() - start
    accuracy = fn.evaluate(model, (x_test, y_test))["accuracy"]
    images_per_s = len(history.epoch) * len(x_train) / sum(history["time"])
    print(f"test accuracy: {accuracy:.4f}")
    print(f"training: {images_per_s:,.0f} images/s ({elapsed:.1f} s for {epochs} epoch{'s' if epochs != 1 else ''})")
    return accuracy, images_per_s


def where(device):
    """What runs the kernels: the CPU's threads, the GPU, or the emulator."""
    import fastnn as fn

    if device == "cpu":
        return f"{fn.get_num_threads()} threads"
    return "cuda (emulated on the CPU)" if fn.cuda.is_emulated() else "cuda"


def add_arguments(parser):
    """The demo's command-line options, added to `python -m fastnn demo`'s parser."""
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--sample", action="store_true", help="use the bundled 6,000-image sample even when "
                                                               "the full dataset is installed")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_device_argument(parser)
