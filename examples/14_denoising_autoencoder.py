"""A convolutional denoising autoencoder on Fashion-MNIST.

Training pairs are (image + Gaussian noise, clipped to [0, 1]) -> clean image, with the mean
squared error as the loss. The encoder halves the resolution twice with stride-2 convolutions
(1x28x28 -> 16x14x14 -> 32x7x7); the decoder doubles it back with transposed convolutions
(--decoder transposed, the default) or nearest-neighbour upsampling followed by a convolution
(--decoder upsample), ending in a sigmoid so outputs are pixel intensities in [0, 1]. The network
cannot copy its input through the 7x7 bottleneck, so it learns what clothes look like and removes
what does not fit. Writes OUT/14_denoising_autoencoder.png: test inputs, their noisy versions
and the reconstructions (needs matplotlib).

    python examples/14_denoising_autoencoder.py [--epochs 3] [--noise 0.3] [--decoder upsample] [--out DIR]
        [--train-size N] [--test-size N] [--device cuda]
"""
import argparse
import importlib.util
import os
import time

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample, save_image_rows


def build_autoencoder(decoder="transposed"):
    def up(in_channels, out_channels):
        if decoder == "transposed":
            return nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)
        return nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, out_channels, 3, padding=1))

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        up(32, 16), nn.ReLU(),
        up(16, 1), nn.Sigmoid())


def add_noise(images, std):
    return (images + std * fn.randn(*images.shape, device=images.device)).clamp(0.0, 1.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    parser.add_argument("--noise", type=float, default=0.3, help="standard deviation of the noise (default 0.3)")
    parser.add_argument("--decoder", choices=("transposed", "upsample"), default="transposed",
                        help="ConvTranspose2d or Upsample + Conv2d (default transposed)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--images", type=int, default=8, help="test images in the figure (default 8)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, _), (x_test, _), is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, x_test = x_train[:args.train_size], x_test[:args.test_size].to(args.device)
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(x_test):,} test images; noise std {args.noise}, {args.decoder} decoder")
    model = build_autoencoder(args.decoder).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        total = 0.0
        for (clean,) in fn.data.DataLoader(fn.data.TensorDataset(x_train), batch_size=args.batch_size, shuffle=True):
            optimizer.zero_grad()
            clean = clean.to(args.device)
            loss = loss_fn(model(add_noise(clean, args.noise)), clean)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(clean)
        print(f"epoch {epoch + 1}: training MSE {total / len(x_train):.4f}", flush=True)
    seconds = time.perf_counter() - start

    noisy_test = add_noise(x_test, args.noise)
    denoised = fn.predict(model, noisy_test)
    noisy_mse = nn.functional.mse_loss(noisy_test, x_test).item()
    denoised_mse = nn.functional.mse_loss(denoised, x_test).item()
    print(f"test MSE against the clean images: noisy input {noisy_mse:.4f}, reconstruction {denoised_mse:.4f}; "
          f"training took {seconds:.1f} s")

    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no figure (pip install matplotlib)")
    else:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "14_denoising_autoencoder.png")
        shown = slice(0, args.images)
        save_image_rows(path, [("input", x_test[shown].cpu().numpy()), ("noisy input", noisy_test[shown].cpu().numpy()),
                               ("reconstruction", denoised[shown].cpu().numpy())])
        print(f"inputs, noisy inputs and reconstructions written to {path}")
    return {"noisy_mse": noisy_mse, "denoised_mse": denoised_mse, "seconds": seconds}


if __name__ == "__main__":
    main()
