"""A small U-Net segments Fashion-MNIST garments from cluttered backgrounds.

The data is derived from Fashion-MNIST: each garment is pasted onto a random background (smooth
blobs plus pixel noise, as bright as the garment in places), and the target is the garment's
silhouette (its pixels above 0.05). A per-pixel rule cannot separate the two, because garment and
background share intensities: the network has to use shape and context.

The U-Net (Ronneberger et al., 2015) encodes with two 3x3 convolutions per level and 2x2
max-pooling (28x28 -> 14x14 -> 7x7), decodes with 2x2 transposed convolutions, and concatenates
each decoder level with the encoder features of the same resolution (the skip connections), so
the fine detail lost in pooling comes back for the pixel-exact mask. It is trained with
BCEWithLogitsLoss per pixel; the score is the intersection over union (IoU) of the predicted and
true masks on the test images, compared with the best single intensity threshold. --no-skip
drops the skip connections for comparison. Writes OUT/18_unet_segmentation.png: inputs, true and
predicted masks (needs matplotlib).

    python examples/18_unet_segmentation.py [--epochs 3] [--no-skip] [--sample] [--out DIR]
        [--train-size N] [--test-size N] [--device cuda]
"""
import argparse
import importlib.util
import os
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample, save_image_rows


def cluttered(images, rng):
    """(inputs, masks): garments [N, 1, 28, 28] in [0, 1] pasted onto random backgrounds, and their
    silhouettes as float 0/1 masks, both NumPy float32."""
    masks = (images > 0.05).astype(np.float32)
    blobs = rng.random((len(images), 1, 7, 7), dtype=np.float32)
    smooth = blobs.repeat(4, axis=2).repeat(4, axis=3)  # 7x7 -> 28x28 blocks...
    kernel = np.ones(5, dtype=np.float32) / 5  # ...softened by a 5x5 box blur
    for axis in (2, 3):
        smooth = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="same"), axis, smooth)
    background = 0.7 * smooth * (rng.random((len(images), 1, 1, 1), dtype=np.float32) + 0.3)
    background += 0.1 * rng.standard_normal(images.shape, dtype=np.float32)
    inputs = np.where(masks > 0, images, np.clip(background, 0, 1))
    return inputs.astype(np.float32), masks


def double_conv(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU())


class UNet(nn.Module):
    """[N, 1, 28, 28] -> mask logits [N, 1, 28, 28]: two pooling levels with `width`, 2*width and
    4*width channels; skip=False decodes without the encoder features."""

    def __init__(self, width=16, skip=True):
        super().__init__()
        self.skip = skip
        self.down1, self.down2 = double_conv(1, width), double_conv(width, 2 * width)
        self.bottom = double_conv(2 * width, 4 * width)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.decode2 = double_conv((4 if skip else 2) * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.decode1 = double_conv((2 if skip else 1) * width, width)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, x):
        level1 = self.down1(x)                      # 28x28
        level2 = self.down2(self.pool(level1))      # 14x14
        y = self.bottom(self.pool(level2))          # 7x7
        y = self.up2(y)
        y = self.decode2(fn.cat([y, level2], dim=1) if self.skip else y)
        y = self.up1(y)
        y = self.decode1(fn.cat([y, level1], dim=1) if self.skip else y)
        return self.head(y)


def iou(predicted, truth):
    """Intersection over union of two boolean mask arrays, over all their pixels."""
    return float(np.logical_and(predicted, truth).sum() / max(np.logical_or(predicted, truth).sum(), 1))


def best_threshold_iou(inputs, masks):
    """The IoU of the best rule "pixel > t" (t on a grid), the baseline the network must beat."""
    return max(iou(inputs > t, masks > 0) for t in np.linspace(0.05, 0.95, 19))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    parser.add_argument("--width", type=int, default=16, help="channels of the first level (default 16)")
    parser.add_argument("--no-skip", action="store_true", help="decode without the skip connections")
    parser.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
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
    rng = np.random.default_rng(args.seed)
    (x_train, _), (x_test, _), is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    train_inputs, train_masks = cluttered(x_train[:args.train_size].numpy(), rng)
    test_inputs, test_masks = cluttered(x_test[:args.test_size].numpy(), rng)
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}) garments on cluttered backgrounds: "
          f"{len(train_inputs):,} training and {len(test_inputs):,} test images; U-Net "
          f"{'with' if not args.no_skip else 'without'} skip connections")
    model = UNet(args.width, skip=not args.no_skip).to(args.device)
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    dataset = fn.data.TensorDataset(fn.tensor(train_inputs), fn.tensor(train_masks))
    start, train_loss = time.perf_counter(), float("nan")
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for x, mask in fn.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True):
            optimizer.zero_grad()
            x, mask = x.to(args.device), mask.to(args.device)
            loss = loss_fn(model(x), mask)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        train_loss = total / len(train_inputs)
        print(f"epoch {epoch + 1}: training loss {train_loss:.4f}", flush=True)
    seconds = time.perf_counter() - start

    predicted = fn.predict(model, fn.tensor(test_inputs)).cpu().numpy() > 0
    test_iou, baseline = iou(predicted, test_masks > 0), best_threshold_iou(test_inputs, test_masks)
    print(f"test IoU {test_iou:.3f} (best intensity threshold {baseline:.3f}); training took {seconds:.1f} s")
    results = {"iou": test_iou, "threshold_iou": baseline, "train_loss": train_loss, "seconds": seconds}
    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no figure (pip install matplotlib)")
        return results
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "18_unet_segmentation.png")
    shown = slice(0, args.images)
    save_image_rows(path, [("input", test_inputs[shown]), ("true mask", test_masks[shown]),
                           ("predicted mask", predicted[shown].astype(np.float32))])
    print(f"inputs, true and predicted masks written to {path}")
    results["figure"] = path
    return results


if __name__ == "__main__":
    main()
