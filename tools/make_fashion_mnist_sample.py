"""Builds the Fashion-MNIST sample bundled in python/fastnn/datasets/data/fashion-mnist/.

Takes a fixed, class-balanced subset (600 training and 100 test images per class, chosen with a
fixed seed, kept in the dataset's own order) of the full dataset and writes it as gzipped IDX
files. Deterministic: running it again rewrites identical bytes.

    python tools/make_fashion_mnist_sample.py [--source /usr/share/datasets/fashion-mnist]
"""
import argparse
import os

import numpy as np

from fastnn.datasets import FashionMNIST, write_idx
from fastnn.datasets.sample import BUNDLED_ROOT

PER_CLASS = {True: 600, False: 100}
SEED = 20240611


def stratified_indices(targets, per_class, rng):
    """`per_class` random indices of each class, merged in ascending order."""
    chosen = [rng.choice(np.flatnonzero(targets == c), size=per_class, replace=False) for c in np.unique(targets)]
    return np.sort(np.concatenate(chosen))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist",
                        help="directory holding the full dataset's four *-ubyte(.gz) files")
    args = parser.parse_args()
    output = os.path.join(BUNDLED_ROOT, FashionMNIST.name)
    os.makedirs(output, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for train in (True, False):
        full = FashionMNIST(root=args.source, train=train, download=False)
        keep = stratified_indices(full.targets, PER_CLASS[train], rng)
        split = "train" if train else "t10k"
        write_idx(os.path.join(output, f"{split}-images-idx3-ubyte.gz"), full.data[keep])
        write_idx(os.path.join(output, f"{split}-labels-idx1-ubyte.gz"), full.targets[keep].astype(np.uint8))
        print(f"{split}: {len(keep)} of {len(full)} images")


if __name__ == "__main__":
    main()
