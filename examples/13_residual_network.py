"""A small residual network on Fashion-MNIST: blocks that compute y = ReLU(x + F(x)).

F is conv 3x3 -> BatchNorm -> ReLU -> conv 3x3 -> BatchNorm, and the block adds its input back
(the identity shortcut), so a block only has to learn a correction to its input, and gradients
reach the early layers through the shortcuts undiminished; that is what lets residual networks
grow deep. The network: a stem (conv 1->16, 28x28), --blocks residual blocks at 16 channels,
a strided conv down to 32 channels at 14x14, --blocks more residual blocks, global average
pooling and one linear layer. --plain drops the shortcuts (y = ReLU(F(x))) for comparison.

    python examples/13_residual_network.py [--epochs 2] [--blocks 1] [--plain] [--sample]
        [--train-size N] [--test-size N] [--device cuda]
"""
import argparse
import time

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample


def conv_bn(in_channels, out_channels, stride=1):
    # No conv bias: the batch norm right after it subtracts the mean anyway.
    return [nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels)]


class ResidualBlock(nn.Module):
    """y = ReLU(x + F(x)), or ReLU(F(x)) with shortcut=False; F keeps the shape of x."""

    def __init__(self, channels, shortcut=True):
        super().__init__()
        self.residual = nn.Sequential(*conv_bn(channels, channels), nn.ReLU(), *conv_bn(channels, channels))
        self.shortcut = shortcut
        self.relu = nn.ReLU()

    def forward(self, x):
        fx = self.residual(x)
        return self.relu(x + fx if self.shortcut else fx)


def build_resnet(blocks=1, shortcut=True):
    return nn.Sequential(*conv_bn(1, 16), nn.ReLU(),
                         *[ResidualBlock(16, shortcut) for _ in range(blocks)],
                         *conv_bn(16, 32, stride=2), nn.ReLU(),
                         *[ResidualBlock(32, shortcut) for _ in range(blocks)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
    parser.add_argument("--blocks", type=int, default=1, help="residual blocks per stage (default 1)")
    parser.add_argument("--plain", action="store_true", help="no shortcuts: y = ReLU(F(x))")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), test, is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    test = tuple(t[:args.test_size] for t in test)
    model = build_resnet(args.blocks, shortcut=not args.plain).to(args.device)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(test[0]):,} test images; {'plain' if args.plain else 'residual'} network, {args.blocks} "
          f"block(s) per stage, {parameters:,} parameters")
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=args.epochs,
                     batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    test_accuracy = fn.evaluate(model, test)["accuracy"]
    print(f"test accuracy after {args.epochs} epochs: {test_accuracy:.4f}; training took {seconds:.1f} s")
    return {"history": history, "test_accuracy": test_accuracy, "model": model, "seconds": seconds}


if __name__ == "__main__":
    main()
