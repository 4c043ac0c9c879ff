"""fit / evaluate / predict with a model on device 'cuda' (emulated) and data on the host: each
batch goes to the model's device, as in Keras, and the run ends where the CPU run ends; the
examples' --device option refuses 'cuda' with the reason where no CUDA device exists; `python -m
fastnn demo --device cuda` trains as on the CPU."""
import argparse

import numpy as np
import pytest

import fastnn as fn
from fastnn import demo, nn

pytest.importorskip("fastnn._cuda_emu")


def train(device):
    """History, evaluation, predictions and parameters of 2 epochs on host data."""
    fn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 11), nn.ReLU(), nn.Linear(11, 3)).to(device)
    rng = np.random.default_rng(0)
    x = fn.tensor(rng.standard_normal((37, 6)).astype(np.float32))
    y = fn.tensor(rng.integers(0, 3, 37))
    optimizer = fn.optim.Adam(model.parameters(), lr=1e-2)
    history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=2, batch_size=8, val_data=(x, y),
                     shuffle=False, progress=False)
    logs = fn.evaluate(model, (x, y), nn.CrossEntropyLoss(), batch_size=16)
    predictions = fn.predict(model, x, batch_size=16)
    assert predictions.device == device
    return history, logs, predictions.cpu().numpy(), [p.cpu().numpy() for p in model.parameters()]


def test_a_cuda_model_trains_evaluates_and_predicts_on_host_data(monkeypatch):
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    history, logs, predictions, params = train("cuda")
    history_cpu, logs_cpu, predictions_cpu, params_cpu = train("cpu")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], history_cpu[key], rtol=1e-4)
    assert logs.keys() == logs_cpu.keys()
    np.testing.assert_allclose([logs[k] for k in logs], [logs_cpu[k] for k in logs], rtol=1e-4)
    np.testing.assert_allclose(predictions, predictions_cpu, rtol=1e-4, atol=1e-5)
    for p, p_cpu in zip(params, params_cpu):
        np.testing.assert_allclose(p, p_cpu, rtol=1e-4, atol=1e-6)


def test_device_argument_names_the_reason_cuda_is_refused(monkeypatch):
    monkeypatch.delenv("FASTNN_CUDA_EMULATE", raising=False)
    if fn.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(argparse.ArgumentTypeError, match="no CUDA device.*FASTNN_CUDA_EMULATE=1"):
        demo.device_argument("cuda")
    with pytest.raises(argparse.ArgumentTypeError, match="device type"):
        demo.device_argument("gpu")
    assert demo.device_argument("cpu") == "cpu"
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    assert demo.device_argument("cuda") == "cuda" and demo.device_argument("cuda:0") == "cuda:0"


def test_the_demo_runs_on_emulated_cuda_as_on_the_cpu(monkeypatch, capsys):
    from fastnn.__main__ import main as command_line
    monkeypatch.setenv("FASTNN_CUDA_EMULATE", "1")
    argv = ["demo", "--sample", "--train-size", "96", "--test-size", "64", "--batch-size", "32"]
    outputs = []
    for device in ("cpu", "cuda"):
        assert command_line(argv + ["--device", device]) == 0
        outputs.append(capsys.readouterr().out)
    cpu, cuda = outputs
    assert "cuda (emulated on the CPU)" in cuda and "threads" in cpu
    losses = [float(out.split("loss: ")[1].split()[0]) for out in outputs]
    assert losses[1] == pytest.approx(losses[0], rel=1e-4)
    accuracies = [float(out.split("test accuracy: ")[1].split()[0]) for out in outputs]
    assert accuracies[1] == pytest.approx(accuracies[0], abs=2 / 64)
