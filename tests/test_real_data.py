"""Training on the full Fashion-MNIST: the accuracy a PyTorch user expects from the classic MLP and CNN.

Needs the dataset on disk (`sudo apt-get install dataset-fashion-mnist`, or $FASTNN_DATA); in CI
(CI=true) it must run, so a missing dataset fails there instead of skipping.
"""
import pytest

import fastnn as fn
from conftest import real_data_required
from fastnn.datasets import DatasetNotFoundError, load_fashion_mnist
from fastnn.demo import build_cnn, build_mlp


def full_fashion_mnist():
    try:
        return (load_fashion_mnist(train=True, download=False, flatten=True),
                load_fashion_mnist(train=False, download=False, flatten=True))
    except DatasetNotFoundError as error:
        if real_data_required():
            pytest.fail(f"CI=true: real-data tests must run, but Fashion-MNIST is missing: {error}")
        pytest.skip("the full Fashion-MNIST is not installed: `sudo apt-get install dataset-fashion-mnist` "
                    "or put its files in $FASTNN_DATA/fashion-mnist")


def test_mlp_reaches_84_percent_after_two_epochs_of_adam():
    (x_train, y_train), (x_test, y_test) = full_fashion_mnist()
    fn.manual_seed(0)
    model = build_mlp()  # 784-256-128-10, ReLU
    history = fn.fit(model, fn.nn.CrossEntropyLoss(), fn.optim.Adam(model.parameters(), lr=1e-3),
                     (x_train, y_train), epochs=2, batch_size=128, progress=False)
    assert history["loss"][1] < history["loss"][0]
    accuracy = fn.evaluate(model, (x_test, y_test))["accuracy"]
    assert accuracy >= 0.84, f"test accuracy {accuracy:.4f} after 2 epochs (PyTorch: about 0.85-0.87)"


def test_cnn_reaches_84_percent_after_one_epoch_of_adam():
    (x_train, y_train), (x_test, y_test) = full_fashion_mnist()
    fn.manual_seed(0)
    model = build_cnn()  # two conv+ReLU+max-pool blocks, two linear layers
    images = x_train.reshape(-1, 1, 28, 28)
    fn.fit(model, fn.nn.CrossEntropyLoss(), fn.optim.Adam(model.parameters(), lr=1e-3),
           (images, y_train), epochs=1, batch_size=64, progress=False)
    # Trained on all 60,000 images; 5,000 of the 10,000 test images keep the evaluation short.
    accuracy = fn.evaluate(model, (x_test[:5000].reshape(-1, 1, 28, 28), y_test[:5000]))["accuracy"]
    assert accuracy >= 0.84, f"test accuracy {accuracy:.4f} after 1 epoch (about 0.87-0.88 expected)"
