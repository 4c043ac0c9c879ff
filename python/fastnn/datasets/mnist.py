"""MNIST and Fashion-MNIST as map-style datasets read from IDX files.

Each split is two files, e.g. train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz],
looked for in this order (NAME is "mnist" or "fashion-mnist"):
  root/NAME, root            when root is given
  $FASTNN_DATA/NAME          when the variable is set
  ~/.cache/fastnn/NAME       where downloads go (root/NAME instead when root is given)
  /usr/share/datasets/NAME   Debian packages, e.g. dataset-fashion-mnist
If none has them and download=True, they are downloaded over HTTPS and checked against the
published MD5 sums; otherwise DatasetNotFoundError says how to get them.
"""
import os

import numpy as np

from fastnn.data.dataset import Dataset
from fastnn.datasets.download import DownloadError, download_file
from fastnn.datasets.idx import read_idx

IMAGE_SIZE = 28
SYSTEM_DATA_DIR = "/usr/share/datasets"  # where Debian's dataset-* packages install
CACHE_DIR = "~/.cache/fastnn"


class DatasetNotFoundError(FileNotFoundError):
    """The dataset's files are in none of the searched directories and could not be downloaded."""


def search_directories(name, root):
    """The directories searched for dataset `name`, in order."""
    directories = []
    if root is not None:
        root = os.path.expanduser(os.fspath(root))
        directories += [os.path.join(root, name), root]
    if os.environ.get("FASTNN_DATA"):
        directories.append(os.path.join(os.path.expanduser(os.environ["FASTNN_DATA"]), name))
    directories.append(os.path.join(os.path.expanduser(CACHE_DIR), name))
    directories.append(os.path.join(SYSTEM_DATA_DIR, name))
    return directories


def _find(directory, filename):
    """directory/filename, or its uncompressed twin without .gz, whichever exists; else None."""
    for candidate in (filename, filename[:-len(".gz")]):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    Sample i is (image, target): image is self.data[i], a uint8 array [28, 28] (pass
    transform=fastnn.data.ToTensor() for a float32 [1, 28, 28] tensor in [0, 1]), target the int
    class. `data` (uint8 [N, 28, 28]) and `targets` (int64 [N]) hold the whole split as arrays.
    """

    name = "mnist"
    title = "MNIST"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
    md5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
           "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
           "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
           "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
    how_to_get = ("download the four *-ubyte.gz files from https://ossci-datasets.s3.amazonaws.com/mnist/ "
                  "into DIR/mnist and set FASTNN_DATA=DIR (or pass root=DIR)")

    def __init__(self, root=None, train=True, download=True, transform=None, target_transform=None):
        self.root = root
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if self.train else "t10k"
        images, labels = self._locate(f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz", download)
        self.data, self.targets = self._read(images, labels)

    def _locate(self, images_name, labels_name, download):
        """Paths of the two files: found on disk, else downloaded."""
        searched = search_directories(self.name, self.root)
        for directory in searched:
            images, labels = _find(directory, images_name), _find(directory, labels_name)
            if images and labels:
                return images, labels
        reason = "download=False"
        if download:
            target = searched[0] if self.root is not None else os.path.join(os.path.expanduser(CACHE_DIR), self.name)
            try:
                return tuple(download_file(name, self.mirrors, self.md5[name], target)
                             for name in (images_name, labels_name))
            except DownloadError as error:
                reason = f"the download failed ({error})"
        raise DatasetNotFoundError(
            f"{self.title}: {images_name} and {labels_name} (or their uncompressed versions) were not found in "
            f"{', '.join(searched)}; {reason}. To get the data: {self.how_to_get}.")

    def _read(self, images_path, labels_path):
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"{images_path}: expected uint8 images of shape [N, {IMAGE_SIZE}, {IMAGE_SIZE}], "
                             f"got {images.dtype} {list(images.shape)}")
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(f"{labels_path}: expected {images.shape[0]} uint8 labels to match {images_path}, "
                             f"got {labels.dtype} {list(labels.shape)}")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{labels_path}: label {labels.max()} is out of range for {len(self.classes)} classes")
        return images, labels.astype(np.int64)

    def __getitem__(self, index):
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.data)

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self):
        return f"{type(self).__name__}(split={'train' if self.train else 'test'}, samples={len(self)})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10
    kinds of clothing (MIT licence, (c) Zalando SE); the same interface as MNIST."""

    name = "fashion-mnist"
    title = "Fashion-MNIST"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    mirrors = ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",)
    md5 = {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
           "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
           "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
           "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}
    how_to_get = ("`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu: installs "
                  "/usr/share/datasets/fashion-mnist), or download the four *-ubyte.gz files from "
                  "https://github.com/zalandoresearch/fashion-mnist/tree/master/data/fashion into DIR/fashion-mnist "
                  "and set FASTNN_DATA=DIR (or pass root=DIR); fastnn.datasets.fashion_mnist_sample() is a small "
                  "subset bundled with fastnn that needs no download")
