"""A DCGAN on Fashion-MNIST: a generator learns to draw clothes by fooling a discriminator.

The generator G maps noise z ~ N(0, I) (--latent-dim) through a linear layer and two transposed
convolutions (64x7x7 -> 32x14x14 -> 1x28x28, batch norm and ReLU between, tanh at the end) to an image in
[-1, 1]; the discriminator D maps an image through two strided convolutions (1 -> 32 -> 64
channels, LeakyReLU 0.2, batch norm) to one logit, "real" vs "generated". Each step trains D on a real and a generated
batch with BCEWithLogitsLoss (labels 1 and 0), then G to make D answer 1 on its images (the
non-saturating loss of Goodfellow et al., 2014), with Adam(lr 2e-4, betas (0.5, 0.999)) as in
Radford et al., 2016. Writes OUT/16_gan.png: a grid of generated images after each epoch from
the same fixed noise (needs matplotlib).

How well it learned is measured without a trained classifier: the distance between the mean
image of 1,000 generated samples (--quality-samples) and that of as many real images, and the
spread of the samples (a generator that collapsed to one image has none).

    python examples/16_gan.py [--epochs 10] [--latent-dim 64] [--sample] [--out DIR]
        [--train-size N] [--quality-samples N] [--device cuda]
"""
import argparse
import importlib.util
import os
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample, save_image_rows


class Generator(nn.Module):
    """z [N, latent_dim] (+ a condition vector [N, condition_dim]) -> images [N, 1, 28, 28] in [-1, 1]."""

    def __init__(self, latent_dim=64, condition_dim=0):
        super().__init__()
        self.project = nn.Sequential(nn.Linear(latent_dim + condition_dim, 64 * 7 * 7, bias=False),
                                     nn.BatchNorm1d(64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)))
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z, condition=None):
        if condition is not None:
            z = fn.cat([z, condition], dim=1)
        return self.upsample(self.project(z))


class Discriminator(nn.Module):
    """images [N, 1 + condition_channels, 28, 28] -> logits [N, 1] of "real"."""

    def __init__(self, condition_channels=0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1 + condition_channels, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 1))

    def forward(self, images, condition=None):
        if condition is not None:
            images = fn.cat([images, condition], dim=1)
        return self.features(images)


def init_weights(module):
    """DCGAN's initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def train_gan(generator, discriminator, images, labels=None, epochs=5, batch_size=64, lr=2e-4, latent_dim=64,
              on_epoch_end=None):
    """Trains both networks (on the generator's device; `images` and `labels` may stay on the CPU);
    with labels, both are called with the batch's labels as a second argument (a conditional GAN).
    Returns the per-epoch mean losses [(d_loss, g_loss), ...]."""
    device = next(generator.parameters()).device
    g_optimizer = fn.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    d_optimizer = fn.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    columns = (images,) if labels is None else (images, labels)
    history = []
    for epoch in range(epochs):
        generator.train()
        discriminator.train()
        d_total = g_total = 0.0
        batches = 0
        for batch in fn.data.DataLoader(fn.data.TensorDataset(*columns), batch_size=batch_size, shuffle=True,
                                        drop_last=True):
            real = batch[0].to(device)
            condition = batch[1].to(device) if labels is not None else None
            ones, zeros = fn.ones(len(real), 1, device=device), fn.zeros(len(real), 1, device=device)
            fake = generator(fn.randn(len(real), latent_dim, device=device), condition)

            d_optimizer.zero_grad()
            d_loss = bce(discriminator(real, condition), ones) + bce(discriminator(fake.detach(), condition), zeros)
            d_loss.backward()
            d_optimizer.step()

            g_optimizer.zero_grad()
            g_loss = bce(discriminator(fake, condition), ones)
            g_loss.backward()
            g_optimizer.step()
            d_total += d_loss.item()
            g_total += g_loss.item()
            batches += 1
        history.append((d_total / batches, g_total / batches))
        print(f"epoch {epoch + 1}: discriminator loss {history[-1][0]:.3f}, generator loss {history[-1][1]:.3f}",
              flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    return history


def generate(generator, noise, condition=None):
    """Images in [0, 1] ([N, 1, 28, 28] NumPy) from fixed noise, in eval mode."""
    generator.eval()
    with fn.no_grad():
        return (generator(noise, condition).cpu().numpy() + 1) / 2


def sample_quality(generated, real):
    """(distance of the mean images, mean per-pixel std of the samples), both in [0, 1] units."""
    mean_distance = float(np.sqrt(np.mean((generated.mean(axis=0) - real.mean(axis=0)) ** 2)))
    return mean_distance, float(generated.std(axis=0).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--latent-dim", type=int, default=64, help="size of the noise vector z (default 64)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of both networks (default 2e-4)")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--images", type=int, default=8, help="images per row of the figure (default 8)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality-samples", type=int, default=1000,
                        help="generated (and real) images the quality is measured on (default 1000)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, _), _, is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train = x_train[:args.train_size] * 2 - 1  # tanh's range
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training images; "
          f"DCGAN with a {args.latent_dim}-dimensional noise vector")
    generator, discriminator = Generator(args.latent_dim), Discriminator()
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    generator, discriminator = generator.to(args.device), discriminator.to(args.device)
    real = (x_train.numpy()[:args.quality_samples] + 1) / 2
    quality_noise = fn.randn(args.quality_samples, args.latent_dim, device=args.device)
    untrained = sample_quality(generate(generator, quality_noise), real)
    figure_noise = quality_noise[:args.images]
    grids = []

    def snapshot(epoch):
        grids.append((f"epoch {epoch + 1}", generate(generator, figure_noise)))

    start = time.perf_counter()
    history = train_gan(generator, discriminator, x_train, epochs=args.epochs, batch_size=args.batch_size,
                        lr=args.lr, latent_dim=args.latent_dim, on_epoch_end=snapshot)
    seconds = time.perf_counter() - start
    mean_distance, spread = sample_quality(generate(generator, quality_noise), real)
    print(f"mean-image distance to the real images: {mean_distance:.3f} (untrained {untrained[0]:.3f}); "
          f"spread of the samples {spread:.3f} (real {real.std(axis=0).mean():.3f}); training took {seconds:.1f} s")

    results = {"history": history, "mean_distance": mean_distance, "untrained_mean_distance": untrained[0],
               "spread": spread, "real_spread": float(real.std(axis=0).mean()), "seconds": seconds}
    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no figure (pip install matplotlib)")
        return results
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "16_gan.png")
    save_image_rows(path, grids)
    print(f"generated images after each epoch written to {path}")
    results["figure"] = path
    return results


if __name__ == "__main__":
    main()
