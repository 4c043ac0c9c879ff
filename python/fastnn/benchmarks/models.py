"""Model training-step benchmark against PyTorch: a ResNet-18 and a DCGAN, the two models of the
course where convolutions on small maps and transposed convolutions dominate.

- ResNet-18, width 16 (channels 16-32-64-128, the torchvision layout: 3x3 stem without max-pool
  for 32x32 inputs, four stages of two BasicBlocks, stages 2-4 downsampling by a strided 3x3 and a
  1x1 projection, BatchNorm, global average pool, Linear to 10 classes): one SGD-momentum step on
  a fixed batch of 32 random 32x32 RGB images (feature maps 32x32 down to 4x4).
- DCGAN (examples/16_gan.py's generator and discriminator, 28x28 images, latent 64): one
  discriminator step on a real and a generated batch of 64 and one generator step, Adam, BCE with
  logits.
Each model is built by one function from an `nn` module (fastnn.nn or torch.nn: the same code),
PyTorch's copy takes fastnn's initial weights through its state_dict (the keys are PyTorch's),
and the implementations are timed in alternation (fastnn.benchmarks.timing.measure_row), on 1
thread and on the default thread count.
"""
import numpy as np

import fastnn
from fastnn.benchmarks import timing

RESNET_BATCH, RESNET_WIDTH, GAN_BATCH, LATENT = 32, 16, 64, 64
# The CPU-speed issue's targets: both at least 1.2x PyTorch.
GOAL = 1.2


def _resnet18(nn, width=RESNET_WIDTH, classes=10):
    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    widths = [width, 2 * width, 4 * width, 8 * width]
    layers = [nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    cin = width
    for stage, cout in enumerate(widths):
        stride = 1 if stage == 0 else 2
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def _dcgan(nn):
    generator = nn.Sequential(
        nn.Linear(LATENT, 64 * 7 * 7, bias=False), nn.BatchNorm1d(64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1))
    return generator, discriminator


def _torch_copy(model, build):
    """build(torch.nn) with `model`'s weights and buffers, or None without PyTorch."""
    torch = timing.optional_module("torch")
    if torch is None:
        return None
    theirs = build(torch.nn)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()})
    return theirs


def _resnet_steps(rng):
    x = rng.standard_normal((RESNET_BATCH, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, RESNET_BATCH)
    fastnn.manual_seed(0)
    model = _resnet18(fastnn.nn)
    impls = {"fastnn": _classifier_step(fastnn, model, fastnn.from_numpy(x), fastnn.from_numpy(y))}
    theirs = _torch_copy(model, _resnet18)
    if theirs is not None:
        torch = timing.optional_module("torch")
        impls["torch"] = _classifier_step(torch, theirs, torch.from_numpy(x), torch.from_numpy(y))
    return impls


def _classifier_step(lib, model, x, y):
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _gan_steps(rng):
    real = rng.uniform(-1, 1, (GAN_BATCH, 1, 28, 28)).astype(np.float32)
    noise = rng.standard_normal((GAN_BATCH, LATENT), dtype=np.float32)
    fastnn.manual_seed(0)
    generator, discriminator = _dcgan(fastnn.nn)
    impls = {"fastnn": _gan_step(fastnn, generator, discriminator, fastnn.from_numpy(real), fastnn.from_numpy(noise))}
    torch = timing.optional_module("torch")
    if torch is not None:
        their_g = _torch_copy(generator, lambda nn: _dcgan(nn)[0])
        their_d = _torch_copy(discriminator, lambda nn: _dcgan(nn)[1])
        impls["torch"] = _gan_step(torch, their_g, their_d, torch.from_numpy(real), torch.from_numpy(noise))
    return impls


def _gan_step(lib, generator, discriminator, real, noise):
    g_opt = lib.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = lib.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = lib.nn.BCEWithLogitsLoss()
    ones, zeros = lib.ones(GAN_BATCH, 1), lib.zeros(GAN_BATCH, 1)

    def step():
        fake = generator(noise)
        d_opt.zero_grad()
        d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = bce(discriminator(fake), ones)
        g_loss.backward()
        g_opt.step()

    return step


MODELS = (("ResNet-18 w16, 32x32, batch 32, SGD momentum", _resnet_steps),
          ("DCGAN D+G step, batch 64, Adam", _gan_steps))


def run(quick=False, thread_counts=None, log=print, clock="wall"):
    repetitions, block_seconds = (3, 0.2) if quick else (7, 0.5)
    thread_counts = thread_counts or sorted({1, fastnn.get_num_threads()})
    timer = timing.clock_timer(clock, thread_counts, repetitions)
    env = timing.environment(thread_counts)
    rows = []
    for label, make in MODELS:
        impls = make(np.random.default_rng(0))
        for t in thread_counts:
            measured = timing.measure_row(impls, t, repetitions, block_seconds, timer=timer)
            seconds = measured["seconds"]
            ratio = seconds["torch"] / seconds["fastnn"] if "torch" in seconds else None
            rows.append({"model": label, "threads": t, **measured, "ratio": ratio})
            if log:
                log(f"  {label}, {t} thr  " + "  ".join(f"{n} {s * 1e3:.1f} ms" for n, s in seconds.items()), flush=True)
    timing.finish(env)
    env["clock"] = clock
    summary = [{"target": f"{row['model']}, {row['threads']} thr, speed vs torch", "value": row["ratio"], "goal": GOAL,
                "met": None if row["ratio"] is None else row["ratio"] >= GOAL} for row in rows]
    return {"environment": env, "rows": rows, "summary": summary}


def markdown(result):
    lines = timing.header(result["environment"]) + [
        "",
        f"Medians of alternating repetitions of one training step ({result['environment']['clock']} clock); "
        "ratio = PyTorch time / fastnn time (above 1: fastnn faster).",
        "",
        "| model | thr | fastnn ms | torch ms | vs torch | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        s = row["seconds"]
        torch_ms = f"{s['torch'] * 1e3:.1f}" if "torch" in s else "-"
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        lines.append(f"| {row['model']} | {row['threads']} | {s['fastnn'] * 1e3:.1f} | {torch_ms} | {ratio} | "
                     f"{timing.row_notes(row)} |")
    return "\n".join(lines)
