"""The bundled Fashion-MNIST subset, and a helper giving a split as normalised tensors."""
import os

import numpy as np

from fastnn.datasets.mnist import FashionMNIST
from fastnn.tensor import Tensor

BUNDLED_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def fashion_mnist_sample(train=True, transform=None, target_transform=None):
    """A class-balanced subset of Fashion-MNIST shipped inside fastnn (6,000 training images, 600
    per class, and 1,000 test images, 100 per class), for demos and tests without the network.
    Same interface as FashionMNIST. Built by tools/make_fashion_mnist_sample.py."""
    return FashionMNIST(root=BUNDLED_ROOT, train=train, download=False, transform=transform,
                        target_transform=target_transform)


def load_fashion_mnist(train=True, root=None, download=True, sample=False, flatten=False):
    """(images, labels) of one Fashion-MNIST split as Tensors: images float32 [N, 1, 28, 28]
    scaled to [0, 1] ([N, 784] with flatten=True), labels int64 [N]. sample=True uses the bundled
    subset instead of the full dataset. Wrap them in fastnn.data.TensorDataset for a DataLoader."""
    dataset = fashion_mnist_sample(train) if sample else FashionMNIST(root=root, train=train, download=download)
    images = dataset.data.astype(np.float32) / np.float32(255)
    images = images.reshape(len(images), -1) if flatten else images[:, None]
    return Tensor._wrap(images), Tensor._wrap(dataset.targets)
