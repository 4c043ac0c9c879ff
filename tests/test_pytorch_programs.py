"""PyTorch programs run as written: well-known PyTorch example programs, written again in
tests/pytorch_programs/ with only their import lines changed to fastnn, run here on small data.

Each program's main(tmp_dir) returns what it measured; the checks below say it learned. Where
torch is installed, the same source with the imports turned back to torch runs too, which shows
that the programs are plain PyTorch code."""
import importlib.util
import math
import pathlib
import re
import types

import pytest

PROGRAMS = pathlib.Path(__file__).resolve().parent / "pytorch_programs"
IMPORT = re.compile(r"^(import|from) fastnn\b")


def learned(first, last, factor=1.0):
    return math.isfinite(last) and last < factor * first


CHECKS = {
    "quickstart": lambda r: r["accuracy"] > 0.5,
    "mnist_cnn": lambda r: r["accuracy"] > 0.8,
    "vae": lambda r: learned(r["first_loss"], r["last_loss"], 0.85),
    "dcgan": lambda r: all(math.isfinite(v) for v in r["fake_row_means"]),
    "regression": lambda r: r["loss"] < 1e-2,
    "word_language_model": lambda r: learned(r["first_loss"], r["last_loss"]),
    "time_sequence_prediction": lambda r: learned(r["first_loss"], r["last_loss"]),
    "mnist_rnn": lambda r: r["accuracy"] > 0.25,
    "siamese_resnet": lambda r: learned(r["first_loss"], r["last_loss"]),
    "super_resolution": lambda r: r["last_psnr"] > r["first_psnr"] + 5,
    "fast_neural_style": lambda r: learned(r["first_loss"], r["last_loss"]),
    "forward_forward": lambda r: r["accuracy"] > 0.3,
}
CONFIGURATIONS = [(name, None) for name in CHECKS if name != "word_language_model"] + [
    ("word_language_model", model) for model in ("LSTM", "GRU", "RNN_TANH", "Transformer")]


def load_program(name, library):
    """tests/pytorch_programs/<name>.py as a module, importing `library` ('fastnn' or 'torch')."""
    source = (PROGRAMS / f"{name}.py").read_text()
    if library == "torch":
        source = "\n".join(IMPORT.sub(r"\1 torch", line).replace("import torch as torch", "import torch")
                           for line in source.splitlines())
    module = types.ModuleType(f"{library}_{name}")
    exec(compile(source, str(PROGRAMS / f"{name}.py"), "exec"), module.__dict__)
    return module


def run(name, model, library, tmp_path):
    module = load_program(name, library)
    return module.main(str(tmp_path)) if model is None else module.main(str(tmp_path), model)


def test_every_program_is_checked_and_differs_from_pytorch_only_in_its_imports():
    assert {path.stem for path in PROGRAMS.glob("*.py")} == set(CHECKS)
    for path in PROGRAMS.glob("*.py"):
        for line in path.read_text().splitlines():
            if "fastnn" in line:
                assert IMPORT.match(line), f"{path.name}: fastnn outside an import line: {line!r}"


@pytest.mark.parametrize("name,model", CONFIGURATIONS)
def test_program_runs_on_fastnn_and_learns(name, model, tmp_path):
    results = run(name, model, "fastnn", tmp_path)
    assert CHECKS[name](results), results


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@pytest.mark.parametrize("name,model", CONFIGURATIONS)
def test_program_is_plain_pytorch(name, model, tmp_path):
    results = run(name, model, "torch", tmp_path)
    assert CHECKS[name](results), results
