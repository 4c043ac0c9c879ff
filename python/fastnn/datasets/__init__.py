"""fastnn.datasets: MNIST and Fashion-MNIST from IDX files, and a bundled Fashion-MNIST sample.

Nothing here touches the network on import; downloads happen only inside a dataset's constructor
when its files are found nowhere and download=True.
"""
from fastnn.datasets.download import DownloadError
from fastnn.datasets.idx import read_idx, write_idx
from fastnn.datasets.mnist import MNIST, DatasetNotFoundError, FashionMNIST
from fastnn.datasets.sample import fashion_mnist_sample, load_fashion_mnist

__all__ = ["DatasetNotFoundError", "DownloadError", "FashionMNIST", "MNIST", "fashion_mnist_sample",
           "load_fashion_mnist", "read_idx", "write_idx"]
