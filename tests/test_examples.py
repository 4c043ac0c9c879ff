"""Runs every example in examples/ (and the demo) with a small setting and checks its outcome."""
import importlib.util
import pathlib

import numpy as np
import pytest

import fastnn as fn
from fastnn import demo
from fastnn.__main__ import main as command_line
from fastnn.datasets import mnist
from mpi_harness import run_ok, skip_without_mpi

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    """Imports examples/<name>.py (its file name starts with a digit, so not by `import`)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name, *argv):
    """Returns what examples/<name>.py's main(argv) returns."""
    return load_example(name).main(list(argv))


def test_every_example_is_tested():
    tested = {"01_linear_regression_1d", "02_polynomial_regression", "03_xor", "04_binary_classification",
              "05_fashion_mnist_linear", "06_fashion_mnist_mlp", "07_heteroscedastic_regression",
              "08_char_lstm", "09_lorenz_forecast", "10_fashion_mnist_row_lstm",
              "11_tiny_transformer", "12_fashion_mnist_cnn", "13_residual_network", "14_denoising_autoencoder",
              "15_vae", "16_gan", "17_conditional_gan", "18_unet_segmentation",
              "19_data_parallel"}
    assert {path.stem for path in EXAMPLES.glob("[0-9]*.py")} == tested


def test_linear_regression_recovers_2x_minus_1(capsys):
    results = run_example("01_linear_regression_1d", "--samples", "50", "--epochs", "60")
    for name, (w, b, loss) in results.items():
        tolerance = 0.15 if name.startswith("SGD") else 0.05  # batch 1 at a fixed lr jitters
        assert abs(w - 2) < tolerance and abs(b + 1) < tolerance, (name, w, b)
        assert loss < 0.02, (name, loss)
    full, by_hand = results["full batch"], results["by hand (full batch)"]
    np.testing.assert_allclose(by_hand, full, rtol=1e-4, atol=1e-5)  # same algorithm, written out
    assert "least squares" in capsys.readouterr().out


def test_polynomial_degree_30_over_fits_and_cross_validation_picks_3():
    results = run_example("02_polynomial_regression", "--steps", "800", "--folds", "3")
    (train_1, val_1), (train_3, val_3), (train_30, val_30) = (results["table"][d] for d in (1, 3, 30))
    assert train_1 > train_3 > train_30  # more capacity always fits the training points better
    assert val_30 > train_30 * 3  # ...but degree 30 learns the noise
    assert val_3 < val_1 and val_3 < val_30
    assert results["best"] == 3


def test_xor_is_solved_by_the_mlp_not_by_a_line(capsys):
    results = run_example("03_xor", "--steps", "300")
    assert results["solved"]
    np.testing.assert_allclose(results["mlp_output"], [0, 1, 1, 0], atol=0.1)
    assert results["linear_loss"] == pytest.approx(0.25, abs=0.01)
    assert "XOR solved" in capsys.readouterr().out


def test_binary_classification_of_two_moons():
    accuracies = run_example("04_binary_classification", "--samples", "400", "--epochs", "15")
    assert accuracies["Sigmoid + BCELoss"] > 0.9
    assert accuracies["logits + BCEWithLogitsLoss"] > 0.9
    assert accuracies["linear (logistic regr.)"] < min(accuracies["Sigmoid + BCELoss"],
                                                       accuracies["logits + BCEWithLogitsLoss"])


def test_fashion_mnist_linear_on_the_sample(capsys):
    test = run_example("05_fashion_mnist_linear", "--sample", "--epochs", "1")
    assert test["accuracy"] > 0.65
    assert "most frequent confusion" in capsys.readouterr().out


@pytest.mark.parametrize("example, argv", [("05_fashion_mnist_linear", ["--epochs", "1"]),
                                           ("06_fashion_mnist_mlp", ["--epochs", "2", "--dropout", "0"])])
def test_fashion_mnist_examples_on_emulated_cuda_match_the_cpu(example, argv, monkeypatch, tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["--sample", *argv] + (["--out", str(tmp_path)] if example.startswith("06") else [])
    cpu, cuda = (run_example(example, *argv, "--device", device) for device in ("cpu", "cuda"))
    test_cpu, test_cuda = (r["test"] if "test" in r else r for r in (cpu, cuda))
    assert test_cuda["accuracy"] == pytest.approx(test_cpu["accuracy"], abs=2e-3)  # two of 1,000 images
    assert test_cuda["loss"] == pytest.approx(test_cpu["loss"], rel=1e-4)


def test_dense_examples_on_emulated_cuda_match_the_cpu(monkeypatch, tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["--samples", "100", "--epochs", "3"]
    cpu, cuda = (run_example("04_binary_classification", *argv, "--device", d) for d in ("cpu", "cuda"))
    assert cuda == pytest.approx(cpu, abs=1 / 20)  # validation accuracies of 20 points: one may flip
    argv += ["--out", str(tmp_path)]
    cpu, cuda = (run_example("07_heteroscedastic_regression", *argv, "--device", d) for d in ("cpu", "cuda"))
    assert cuda["nll"] == pytest.approx(cpu["nll"], rel=1e-4)
    np.testing.assert_allclose(cuda["std"], cpu["std"], rtol=1e-4)


@pytest.mark.parametrize("example, argv", [("01_linear_regression_1d", ["--samples", "20", "--epochs", "3"]),
                                           ("02_polynomial_regression", ["--steps", "20", "--folds", "2"]),
                                           ("03_xor", ["--steps", "50"])])
def test_first_examples_on_emulated_cuda_match_the_cpu(example, argv, monkeypatch):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    cpu, cuda = (run_example(example, *argv, "--device", device) for device in ("cpu", "cuda"))
    if example.startswith("01"):  # (w, b, loss) of each training method
        assert cuda.keys() == cpu.keys()
        for name in cpu:
            assert cuda[name] == pytest.approx(cpu[name], rel=1e-4, abs=1e-6), name
    elif example.startswith("02"):  # (train, val) MSE per degree, cross-validated MSE per degree
        assert cuda["best"] == cpu["best"]
        for degree in cpu["table"]:
            assert cuda["table"][degree] == pytest.approx(cpu["table"][degree], rel=1e-4), degree
        assert cuda["cv"] == pytest.approx(cpu["cv"], rel=1e-4)
    else:
        assert cuda["solved"] == cpu["solved"]
        np.testing.assert_allclose(cuda["mlp_output"], cpu["mlp_output"], rtol=1e-4, atol=1e-5)
        assert cuda["linear_loss"] == pytest.approx(cpu["linear_loss"], rel=1e-4)


def test_fashion_mnist_mlp_on_the_sample_plots_its_curves(tmp_path):
    pytest.importorskip("matplotlib")
    results = run_example("06_fashion_mnist_mlp", "--sample", "--epochs", "3", "--out", str(tmp_path))
    history, early_stopping = results["history"], results["early_stopping"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "lr"} <= set(history.history)
    assert early_stopping.best_epoch is not None
    assert results["test"]["accuracy"] > 0.7
    png = tmp_path / "06_fashion_mnist_mlp_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_heteroscedastic_regression_learns_a_growing_sigma(tmp_path):
    pytest.importorskip("matplotlib")
    results = run_example("07_heteroscedastic_regression", "--samples", "300", "--epochs", "60",
                          "--out", str(tmp_path))
    std = results["std"]
    assert std[-1] > 3 * std[0]  # the true sigma grows 13-fold from x = -3 to x = 3
    assert np.all(np.diff(std) > -0.05)
    np.testing.assert_allclose(results["mean"], np.sin(results["grid"]), atol=0.3)
    assert (tmp_path / "07_heteroscedastic_regression.png").read_bytes()[:4] == b"\x89PNG"


def test_char_lstm_learns_the_text_and_samples_from_its_vocabulary(capsys):
    results = run_example("08_char_lstm", "--steps", "60", "--hidden", "64", "--sample-length", "40")
    tokenizer = results["tokenizer"]
    assert results["initial_loss"] == pytest.approx(np.log(tokenizer.vocab_size), abs=0.1)  # untrained: uniform
    assert results["final_loss"] < results["initial_loss"] - 1.2
    assert tokenizer.decode(tokenizer.encode("Shall I compare thee")) == "Shall I compare thee"
    for text in [*results["samples_before"].values(), *results["samples_after"].values()]:
        assert text.startswith("Shall I ") and len(text) == len("Shall I ") + 40
        assert set(text) <= set(tokenizer.chars)
    assert "sample after training, temperature 0.5" in capsys.readouterr().out


def test_char_tokenizer_rejects_unknown_characters():
    module = load_example("08_char_lstm")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        module.CharTokenizer("abc").encode("abz")


def test_lorenz_forecast_beats_persistence_and_plots(tmp_path):
    pytest.importorskip("matplotlib")
    results = run_example("09_lorenz_forecast", "--steps", "1500", "--epochs", "4", "--rollout", "100",
                          "--out", str(tmp_path))
    assert results["one_step_mse"] < results["persistence_mse"] / 20
    assert results["valid_steps"] >= 5  # a short training: the rollout follows the truth for 0.1 time units or more
    assert (tmp_path / "09_lorenz_forecast.png").read_bytes()[:4] == b"\x89PNG"


def test_row_lstm_classifies_the_fashion_mnist_sample():
    results = run_example("10_fashion_mnist_row_lstm", "--sample", "--epochs", "2", "--hidden", "64")
    assert results["untrained_accuracy"] < 0.2
    assert results["test"]["accuracy"] > 0.5  # chance is 0.1


@pytest.mark.parametrize("example, argv", [
    ("08_char_lstm", ["--steps", "3", "--hidden", "16", "--embedding-dim", "8", "--layers", "2", "--batch-size", "8",
                      "--seq-len", "16", "--sample-length", "8"]),
    ("09_lorenz_forecast", ["--steps", "600", "--epochs", "2", "--hidden", "16", "--rollout", "20"]),
    ("10_fashion_mnist_row_lstm", ["--sample", "--epochs", "1", "--hidden", "16", "--train-size", "128",
                                   "--test-size", "64"])])
def test_recurrent_examples_on_emulated_cuda_match_the_cpu(example, argv, monkeypatch, tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    if example.startswith("09"):
        argv = argv + ["--out", str(tmp_path)]
    cpu, cuda = (run_example(example, *argv, "--device", device) for device in ("cpu", "cuda"))
    if example.startswith("08"):
        assert cuda["final_loss"] == pytest.approx(cpu["final_loss"], rel=1e-4)
        assert cuda["samples_after"] == cpu["samples_after"]  # the same draws from nearly the same softmax
    elif example.startswith("09"):
        assert cuda["history"]["loss"] == pytest.approx(cpu["history"]["loss"], rel=1e-4)
        assert cuda["one_step_mse"] == pytest.approx(cpu["one_step_mse"], rel=1e-3)
    else:
        assert cuda["history"]["loss"] == pytest.approx(cpu["history"]["loss"], rel=1e-4)
        assert cuda["test"]["accuracy"] == pytest.approx(cpu["test"]["accuracy"], abs=2 / 64)


def test_tiny_transformer_learns_to_sort_digits(capsys):
    results = run_example("11_tiny_transformer", "--steps", "250", "--length", "6", "--d-model", "32")
    assert results["before"][1] < 0.01  # untrained: no sequence sorted right
    assert results["after"][0] > 0.95 and results["after"][1] > 0.8  # per digit, per whole sequence
    assert "example: [" in capsys.readouterr().out


def test_tiny_transformer_on_emulated_cuda_matches_the_cpu(monkeypatch):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["--steps", "5", "--length", "5", "--d-model", "16", "--batch-size", "16", "--test-size", "40"]
    cpu = run_example("11_tiny_transformer", *argv)
    cuda = run_example("11_tiny_transformer", *argv, "--device", "cuda")
    assert cuda["before"] == cpu["before"]  # the same initial weights and test set
    np.testing.assert_allclose(cuda["after"], cpu["after"], atol=1 / 200)  # at most one of 200 digits differs


def test_fashion_mnist_cnn_with_batch_norm_and_augmentation_learns(tmp_path):
    pytest.importorskip("matplotlib")
    results = run_example("12_fashion_mnist_cnn", "--sample", "--epochs", "2", "--train-size", "2000",
                          "--batch-norm", "--augment", "--out", str(tmp_path))
    loss = results["history"]["loss"]
    assert loss[1] < loss[0]
    assert results["test_accuracy"] > 0.7  # chance is 0.1; about 0.78 here, 0.91 on the full set
    assert (tmp_path / "12_fashion_mnist_cnn_curves.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("example, argv", [("12_fashion_mnist_cnn", ["--batch-norm", "--augment"]),
                                           ("13_residual_network", []),
                                           ("14_denoising_autoencoder", ["--decoder", "transposed"]),
                                           ("14_denoising_autoencoder", ["--decoder", "upsample"])])
def test_conv_examples_on_emulated_cuda_match_the_cpu(example, argv, monkeypatch, tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["--sample", "--epochs", "1", "--train-size", "64", "--test-size", "64", "--batch-size", "32", *argv]
    if not example.startswith("13"):
        argv += ["--out", str(tmp_path)]
    cpu, cuda = (run_example(example, *argv, "--device", device) for device in ("cpu", "cuda"))
    if "history" in cpu:
        assert cuda["history"]["loss"] == pytest.approx(cpu["history"]["loss"], rel=1e-4)
        assert cuda["test_accuracy"] == pytest.approx(cpu["test_accuracy"], abs=2 / 64)  # two images may flip
    else:
        assert cuda["denoised_mse"] == pytest.approx(cpu["denoised_mse"], rel=1e-4)


def test_residual_block_adds_its_input_and_the_network_learns():
    results = run_example("13_residual_network", "--sample", "--epochs", "2", "--train-size", "2000")
    loss = results["history"]["loss"]
    assert loss[1] < loss[0]
    assert results["test_accuracy"] > 0.4  # chance is 0.1; about 0.6 here, 0.86 after 2 epochs on the full set
    block = next(m for m in results["model"].modules() if type(m).__name__ == "ResidualBlock")
    last_norm = block.residual[-1]
    with fn.no_grad():
        last_norm.weight.zero_()
        last_norm.bias.zero_()  # F(x) = 0, so the block is ReLU(x + 0)
        x = fn.randn(3, 16, 5, 7)
        np.testing.assert_array_equal(block(x).numpy(), np.maximum(x.numpy(), 0))


def test_denoising_autoencoder_removes_noise_and_draws_it(tmp_path):
    pytest.importorskip("matplotlib")
    for decoder in ("transposed", "upsample"):
        results = run_example("14_denoising_autoencoder", "--sample", "--epochs", "2", "--train-size", "2000",
                              "--decoder", decoder, "--out", str(tmp_path))
        assert results["denoised_mse"] < 0.6 * results["noisy_mse"], (decoder, results)
    assert (tmp_path / "14_denoising_autoencoder.png").read_bytes()[:4] == b"\x89PNG"


def test_vae_learns_to_reconstruct_and_draws_samples_and_a_walk(tmp_path):
    results = run_example("15_vae", "--sample", "--epochs", "1", "--train-size", "1000", "--out", str(tmp_path))
    assert results["test_loss"] < 0.8 * results["untrained_loss"]  # about 407 vs 575 per image
    assert results["kl"] > 0  # the code carries information about the image
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "15_vae.png").read_bytes()[:4] == b"\x89PNG"


def test_gan_generator_moves_towards_the_data_without_collapsing(tmp_path):
    results = run_example("16_gan", "--sample", "--epochs", "2", "--train-size", "1500", "--batch-size", "32",
                          "--out", str(tmp_path))
    assert results["mean_distance"] < 0.7 * results["untrained_mean_distance"]  # about 0.11 vs 0.22
    assert results["spread"] > 0.5 * results["real_spread"]  # a collapsed generator has no spread
    assert all(np.isfinite(results["history"]).ravel())


def test_conditional_gan_draws_the_class_it_is_asked_for(tmp_path):
    results = run_example("17_conditional_gan", "--sample", "--epochs", "2", "--train-size", "1500",
                          "--batch-size", "32", "--out", str(tmp_path))
    assert results["untrained_class_accuracy"] < 0.2
    assert results["class_accuracy"] > 0.25  # about 0.37 after 94 steps; chance is 0.1


def test_unet_segments_better_than_any_intensity_threshold(tmp_path):
    results = run_example("18_unet_segmentation", "--sample", "--epochs", "2", "--train-size", "1000",
                          "--width", "8", "--out", str(tmp_path))
    assert results["iou"] > results["threshold_iou"] + 0.1  # about 0.81 vs 0.63


@pytest.mark.parametrize("example, argv", [
    ("15_vae", ["--train-size", "64", "--test-size", "32", "--batch-size", "32"]),
    ("16_gan", ["--epochs", "2", "--train-size", "32", "--batch-size", "16", "--quality-samples", "64"]),
    ("17_conditional_gan", ["--epochs", "2", "--train-size", "32", "--batch-size", "16", "--quality-samples", "40"]),
    ("18_unet_segmentation", ["--epochs", "2", "--train-size", "32", "--test-size", "16", "--batch-size", "8",
                              "--width", "4", "--lr", "1e-2"])])
def test_generative_examples_on_emulated_cuda_match_the_cpu(example, argv, monkeypatch, tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["--sample", "--epochs", "1", "--images", "2", *argv, "--out", str(tmp_path)]
    cpu, cuda = (run_example(example, *argv, "--device", device) for device in ("cpu", "cuda"))
    if example.startswith("15"):  # the same weights, noise and batches: the same ELBO
        for key in ("untrained_loss", "test_loss", "reconstruction"):
            assert cuda[key] == pytest.approx(cpu[key], rel=1e-4), key
        assert cuda["kl"] == pytest.approx(cpu["kl"], rel=1e-3, abs=1e-4)
    elif example.startswith("18"):
        assert cuda["train_loss"] == pytest.approx(cpu["train_loss"], rel=1e-4)
        # the conv biases ahead of batch norm get rounding noise as gradients (the norm cancels them), which
        # Adam scales up to full steps; they leave the training loss alone but move the running means that
        # eval mode uses, so about 1% of the 16 x 784 test pixels flip (an IoU 0.01 apart)
        assert cuda["iou"] == pytest.approx(cpu["iou"], abs=0.03)
        assert cuda["threshold_iou"] == cpu["threshold_iou"]  # computed in NumPy from the same images
    else:  # the same random numbers, a few steps: float32 differences stay small
        np.testing.assert_allclose(cuda["history"], cpu["history"], rtol=1e-3)
        if example.startswith("16"):
            for key in ("untrained_mean_distance", "mean_distance", "spread"):
                assert cuda[key] == pytest.approx(cpu[key], rel=1e-3), key
        else:
            for key in ("untrained_class_accuracy", "class_accuracy"):
                assert cuda[key] == pytest.approx(cpu[key], abs=1 / 40), key  # one of 40 images may flip


def test_demo_on_the_sample(capsys):
    assert command_line(["demo", "--sample", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.65
    assert "bundled sample" in out and "images/s" in out


def test_without_the_full_set_the_sample_is_used_with_a_note(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FASTNN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", str(tmp_path / "system"))
    (x_train, y_train), (x_test, y_test), is_full = demo.load_fashion_mnist_or_sample()
    assert not is_full
    assert x_train.shape == (6000, 784) and x_test.shape == (1000, 784) and y_train.dtype == np.int64
    note = capsys.readouterr().out
    assert note.count("\n") == 1 and "apt-get install dataset-fashion-mnist" in note


def test_asking_for_the_sample_prints_no_note(capsys):
    (x_train, _), _, is_full = demo.load_fashion_mnist_or_sample(sample=True, flatten=False)
    assert not is_full and x_train.shape == (6000, 1, 28, 28)
    assert capsys.readouterr().out == ""


def test_data_parallel_example_runs_serially(tmp_path):
    results = run_example("19_data_parallel", "--sample", "--train-size", "1000", "--out", str(tmp_path))
    assert results["world_size"] == 1 and results["test_accuracy"] > 0.5  # about 0.65 here; chance is 0.1
    assert sorted(fn.load(results["checkpoint"]))[0].startswith("module.")


@skip_without_mpi()
@pytest.mark.mpi
def test_data_parallel_example_on_2_ranks(tmp_path):
    result = run_ok(EXAMPLES / "19_data_parallel.py", "--sample", "--train-size", "1000", "--batch-norm",
                    "--out", tmp_path, np=2, timeout=300)
    assert result.stdout.count("on 2 rank(s)") == 2, result  # the header and the result, from rank 0 only
    assert (tmp_path / "19_data_parallel.safetensors").exists()


@skip_without_mpi()
@pytest.mark.mpi
def test_data_parallel_example_on_2_ranks_on_emulated_cuda_matches_the_cpu(tmp_path):
    pytest.importorskip("fastnn._cuda_emu")
    argv = ["--sample", "--train-size", "128", "--test-size", "64", "--batch-size", "16", "--batch-norm"]
    outputs = []
    for device in ("cpu", "cuda"):
        result = run_ok(EXAMPLES / "19_data_parallel.py", *argv, "--device", device, "--out", tmp_path / device, np=2,
                        timeout=300, env={"FASTNN_CUDA_EMULATE": "1"})
        outputs.append(result.stdout)
    assert "cuda (emulated on the CPU) per rank" in outputs[1]
    losses = [float(out.split(" loss: ")[1].split()[0]) for out in outputs]  # the epoch's training loss
    assert losses[1] == pytest.approx(losses[0], rel=1e-4)
    accuracies = [float(out.split("test accuracy ")[1].split()[0]) for out in outputs]
    assert accuracies[1] == pytest.approx(accuracies[0], abs=2 / 64)
