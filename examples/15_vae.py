"""A convolutional variational autoencoder (VAE) on Fashion-MNIST.

The encoder maps an image x to the mean mu and log-variance log(sigma^2) of a Gaussian q(z|x)
over a --latent-dim code z; the decoder maps a code back to the logits of 28x28 Bernoulli pixels.
Training maximises the evidence lower bound, i.e. minimises per image

    loss = BCE(decoder(z), x) + KL(q(z|x) || N(0, I)),   z = mu + sigma * eps,  eps ~ N(0, I)

with KL = -1/2 * sum(1 + log(sigma^2) - mu^2 - sigma^2). The reparametrisation z = mu + sigma * eps
moves the randomness into eps, so gradients flow through mu and sigma. Because the KL term pulls
every q(z|x) towards N(0, I), decoding codes drawn from N(0, I) gives new images, and codes on a
line between two images' means morph one garment into the other. Writes OUT/15_vae.png: test
images, their reconstructions, samples from the prior and a latent-space walk (needs matplotlib).

    python examples/15_vae.py [--epochs 5] [--latent-dim 16] [--sample] [--out DIR]
        [--train-size N] [--test-size N] [--device cuda]
"""
import argparse
import importlib.util
import os
import time

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample, save_image_rows


class VAE(nn.Module):
    """Encoder: conv 1->32 (14x14), conv 32->64 (7x7), linear to 2 * latent_dim (mu, log-variance).
    Decoder: linear to 64x7x7, transposed convs back to 1x28x28 logits."""

    def __init__(self, latent_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 2 * latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 64 * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))
        self.latent_dim = latent_dim

    def encode(self, x):
        """(mu, log_var) of q(z|x), each [N, latent_dim]."""
        stats = self.encoder(x)
        return stats[:, :self.latent_dim], stats[:, self.latent_dim:]

    def decode(self, z):
        """Pixel logits [N, 1, 28, 28] for codes z [N, latent_dim]."""
        return self.decoder(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        z = mu + (0.5 * log_var).exp() * fn.randn(*mu.shape, device=mu.device)
        return self.decode(z), mu, log_var


def vae_loss(logits, x, mu, log_var):
    """(loss, reconstruction, kl), each summed over an image's pixels or code and averaged over the batch."""
    batch = x.shape[0]
    reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
    kl = -0.5 * (1 + log_var - mu * mu - log_var.exp()).sum() / batch
    return reconstruction + kl, reconstruction, kl


def evaluate_elbo(model, images, batch_size=500):
    """Mean (loss, reconstruction, kl) per image over `images`, without gradients."""
    totals = [0.0, 0.0, 0.0]
    with fn.no_grad():
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size]
            logits, mu, log_var = model(x)
            for i, value in enumerate(vae_loss(logits, x, mu, log_var)):
                totals[i] += value.item() * len(x)
    return [total / len(images) for total in totals]


def latent_walk(model, start_image, end_image, steps):
    """Decoded images at `steps` evenly spaced codes from start_image's mean to end_image's."""
    with fn.no_grad():
        mu, _ = model.encode(fn.stack([start_image, end_image]))
        weights = fn.linspace(0.0, 1.0, steps, device=mu.device).reshape(steps, 1)
        codes = mu[0:1] * (1 - weights) + mu[1:2] * weights
        return model.decode(codes).sigmoid()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--latent-dim", type=int, default=16, help="size of the code z (default 16)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--images", type=int, default=8, help="images per row of the figure (default 8)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, _), (x_test, y_test), is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, x_test, y_test = x_train[:args.train_size], x_test[:args.test_size], y_test[:args.test_size]
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(x_test):,} test images; VAE with a {args.latent_dim}-dimensional code")
    x_test = x_test.to(args.device)
    model = VAE(args.latent_dim).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    untrained = evaluate_elbo(model, x_test)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        totals = [0.0, 0.0, 0.0]
        for (x,) in fn.data.DataLoader(fn.data.TensorDataset(x_train), batch_size=args.batch_size, shuffle=True):
            optimizer.zero_grad()
            x = x.to(args.device)
            logits, mu, log_var = model(x)
            losses = vae_loss(logits, x, mu, log_var)
            losses[0].backward()
            optimizer.step()
            for i, value in enumerate(losses):
                totals[i] += value.item() * len(x)
        loss, reconstruction, kl = (total / len(x_train) for total in totals)
        print(f"epoch {epoch + 1}: loss {loss:.1f} per image (reconstruction {reconstruction:.1f} + KL {kl:.1f})",
              flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    test_loss, test_reconstruction, test_kl = evaluate_elbo(model, x_test)
    print(f"test loss per image: {test_loss:.1f} (reconstruction {test_reconstruction:.1f} + KL {test_kl:.1f}); "
          f"untrained {untrained[0]:.1f}; training took {seconds:.1f} s")

    results = {"untrained_loss": untrained[0], "test_loss": test_loss, "reconstruction": test_reconstruction,
               "kl": test_kl, "seconds": seconds}
    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no figure (pip install matplotlib)")
        return results
    n = args.images
    with fn.no_grad():
        shown = x_test[:n]
        reconstructions = model.decode(model.encode(shown)[0]).sigmoid()
        samples = model.decode(fn.randn(n, args.latent_dim, device=args.device)).sigmoid()
    labels = y_test.numpy()
    first, other = 0, int((labels != labels[0]).argmax())  # two test images of different classes
    walk = latent_walk(model, x_test[first], x_test[other], n)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "15_vae.png")
    save_image_rows(path, [("test image", shown.cpu().numpy()), ("reconstruction", reconstructions.cpu().numpy()),
                           ("sample z~N(0,I)", samples.cpu().numpy()), ("latent walk", walk.cpu().numpy())])
    print(f"reconstructions, samples and a latent walk written to {path}")
    results["figure"] = path
    return results


if __name__ == "__main__":
    main()
