"""Fashion-MNIST with a convolutional network: two conv+ReLU+max-pool blocks, then two linear layers.

The model `python -m fastnn demo` trains (fastnn.demo.build_cnn), here with the course's options:
  - --batch-norm: BatchNorm2d after each convolution (faster, steadier training at a higher lr).
  - --augment: each training image is mirrored left-right with probability 0.5 and cropped back
    to 28x28 at a random offset after 2 pixels of zero padding (RandomHorizontalFlip,
    RandomCrop(28, padding=2)), so every epoch sees slightly different images; this fights
    over-fitting in long runs and costs a little accuracy in short ones.
About 0.91 test accuracy after 5 epochs (the default). The training curves, with the test set
evaluated after each epoch, are written to OUT/12_fashion_mnist_cnn_curves.png (needs matplotlib).

    python examples/12_fashion_mnist_cnn.py [--epochs 5] [--batch-norm] [--augment] [--out DIR] [--sample]
        [--train-size N] [--test-size N] [--device cuda]
"""
import argparse
import importlib.util
import os
import time

import fastnn as fn
from fastnn import nn
from fastnn.data import transforms
from fastnn.demo import add_device_argument, build_cnn, load_fashion_mnist_or_sample, where


class TransformedImages(fn.data.Dataset):
    """(transform(images[i]), labels[i]): a fresh random transform each time a sample is read."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __getitem__(self, index):
        return self.transform(self.images[index]), self.labels[index]

    def __len__(self):
        return len(self.images)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--batch-norm", action="store_true", help="BatchNorm2d after each convolution")
    parser.add_argument("--augment", action="store_true", help="random flips and padded random crops")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG of the training curves (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), test, is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    test = tuple(t[:args.test_size] for t in test)
    train = (x_train, y_train)
    if args.augment:
        augment = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.RandomCrop(28, padding=2)])
        train = TransformedImages(x_train.numpy(), y_train.numpy(), augment)
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(test[0]):,} test images; batch norm {'on' if args.batch_norm else 'off'}, "
          f"augmentation {'on' if args.augment else 'off'}, {where(args.device)}")
    model = build_cnn(batch_norm=args.batch_norm).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=args.epochs,
                     batch_size=args.batch_size, val_data=test)
    seconds = time.perf_counter() - start
    test_accuracy = history["val_accuracy"][-1]
    print(f"test accuracy after {args.epochs} epochs: {test_accuracy:.4f} "
          f"(per epoch: {', '.join(f'{a:.4f}' for a in history['val_accuracy'])}); {seconds:.1f} s")

    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no plot (pip install matplotlib)")
    else:
        os.makedirs(args.out, exist_ok=True)
        path = history.plot(os.path.join(args.out, "12_fashion_mnist_cnn_curves.png"),
                            title="CNN on Fashion-MNIST (val = test set)")
        print(f"training curves written to {path}")
    return {"history": history, "test_accuracy": test_accuracy, "seconds": seconds}


if __name__ == "__main__":
    main()
