"""A class-conditional GAN on Fashion-MNIST: ask for a sneaker, get a sneaker.

The DCGAN of examples/16_gan.py, with the class label given to both networks (Mirza and
Osindero, 2014): the generator appends a learned 10-dimensional embedding of the label to its
noise vector, the discriminator gets a learned 28x28 "label map" as a second input channel, so it
can reject a good shirt that was asked to be a bag, and the generator must draw the class it is
given. Writes OUT/17_conditional_gan.png: one row per class, generated from fixed noise (needs
matplotlib).

Whether the generator draws the requested classes is measured without a trained classifier: each
generated image is assigned the class whose mean training image is nearest (a nearest-centroid
classifier, which itself gets about 0.68 of the real test images right), and we count how often
that is the class that was asked for (chance: 0.1).

    python examples/17_conditional_gan.py [--epochs 10] [--latent-dim 64] [--sample] [--out DIR]
        [--train-size N] [--quality-samples N] [--device cuda]
"""
import argparse
import importlib.util
import os
import pathlib
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample, save_image_rows

CLASSES = ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot")


def load_dcgan_example():
    """examples/16_gan.py as a module (its file name starts with a digit, so not by `import`)."""
    spec = importlib.util.spec_from_file_location("dcgan_16", pathlib.Path(__file__).with_name("16_gan.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dcgan = load_dcgan_example()


class ConditionalGenerator(dcgan.Generator):
    """(z [N, latent_dim], labels [N]) -> images of those classes [N, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=64, classes=10, embedding_dim=10):
        super().__init__(latent_dim, condition_dim=embedding_dim)
        self.label_embedding = nn.Embedding(classes, embedding_dim)

    def forward(self, z, labels):
        return super().forward(z, self.label_embedding(labels))


class ConditionalDiscriminator(dcgan.Discriminator):
    """(images [N, 1, 28, 28], labels [N]) -> logits [N, 1] of "a real image of this class"."""

    def __init__(self, classes=10):
        super().__init__(condition_channels=1)
        self.label_map = nn.Embedding(classes, 28 * 28)

    def forward(self, images, labels):
        return super().forward(images, self.label_map(labels).reshape(-1, 1, 28, 28))


def nearest_centroid(images, centroids):
    """The index of the nearest centroid [K, 784] for each image [N, 1, 28, 28] (NumPy)."""
    flat = images.reshape(len(images), -1)
    distances = (flat ** 2).sum(1)[:, None] - 2 * flat @ centroids.T + (centroids ** 2).sum(1)[None, :]
    return distances.argmin(axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--latent-dim", type=int, default=64, help="size of the noise vector z (default 64)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of both networks (default 2e-4)")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--images", type=int, default=8, help="images per class in the figure (default 8)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality-samples", type=int, default=1000,
                        help="generated images whose classes are checked (default 1000)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training images; "
          f"class-conditional DCGAN with a {args.latent_dim}-dimensional noise vector")
    train_images, train_labels = x_train.numpy(), y_train.numpy()
    centroids = np.stack([train_images[train_labels == c].reshape(-1, 28 * 28).mean(axis=0) for c in range(10)])
    real_accuracy = float(np.mean(nearest_centroid(x_test.numpy(), centroids) == y_test.numpy()))

    generator, discriminator = ConditionalGenerator(args.latent_dim), ConditionalDiscriminator()
    generator.apply(dcgan.init_weights)
    discriminator.apply(dcgan.init_weights)
    generator, discriminator = generator.to(args.device), discriminator.to(args.device)
    asked = np.arange(args.quality_samples) % 10
    asked_on_device = fn.tensor(asked, device=args.device)
    noise = fn.randn(args.quality_samples, args.latent_dim, device=args.device)

    def class_accuracy():
        return float(np.mean(nearest_centroid(dcgan.generate(generator, noise, asked_on_device), centroids) == asked))

    untrained_accuracy = class_accuracy()
    start = time.perf_counter()
    history = dcgan.train_gan(generator, discriminator, x_train * 2 - 1, y_train, epochs=args.epochs,
                              batch_size=args.batch_size, lr=args.lr, latent_dim=args.latent_dim)
    seconds = time.perf_counter() - start
    accuracy = class_accuracy()
    print(f"generated images whose nearest class centroid is the class asked for: {accuracy:.3f} "
          f"(untrained {untrained_accuracy:.3f}, chance 0.1; real test images {real_accuracy:.3f}); "
          f"training took {seconds:.1f} s")

    results = {"history": history, "class_accuracy": accuracy, "untrained_class_accuracy": untrained_accuracy,
               "real_class_accuracy": real_accuracy, "seconds": seconds}
    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no figure (pip install matplotlib)")
        return results
    figure_noise = fn.randn(args.images, args.latent_dim, device=args.device)
    rows = [(name, dcgan.generate(generator, figure_noise,
                                  fn.full((args.images,), c, dtype=fn.int64, device=args.device)))
            for c, name in enumerate(CLASSES)]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "17_conditional_gan.png")
    save_image_rows(path, rows)
    print(f"generated images of every class written to {path}")
    results["figure"] = path
    return results


if __name__ == "__main__":
    main()
