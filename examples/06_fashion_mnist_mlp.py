"""Fashion-MNIST with a regularised MLP: dropout, weight decay, early stopping, LR decay.

The four remedies of the course against over-fitting and a stalling optimiser, together:
  - Dropout: each hidden unit is zeroed with probability p during training (nn.Dropout; off in eval).
  - Weight decay: AdamW shrinks every weight by lr * weight_decay each step (decoupled L2).
  - Early stopping: training stops when the validation loss has not improved for `patience`
    epochs, and the weights of the best epoch are restored.
  - Learning-rate decay: ReduceLROnPlateau halves the lr when the validation loss stalls.
The training curves are written to OUT/06_fashion_mnist_mlp_curves.png (needs matplotlib).

    python examples/06_fashion_mnist_mlp.py [--epochs 15] [--dropout 0.2] [--out DIR] [--sample] [--device cuda]
"""
import argparse
import importlib.util
import os

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample


def build_model(dropout):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(128, 10))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15, help="most training epochs (default 15)")
    parser.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (default 1e-3)")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout probability (default 0.2)")
    parser.add_argument("--weight-decay", type=float, default=1e-2, help="AdamW weight decay (default 1e-2)")
    parser.add_argument("--patience", type=int, default=3, help="early-stopping patience in epochs (default 3)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the PNG of the training curves (default .)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(args.sample)
    train, val = fn.data.random_split(fn.data.TensorDataset(x_train, y_train), [0.9, 0.1])
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(train):,} training, "
          f"{len(val):,} validation, {len(x_test):,} test images")
    model = build_model(args.dropout).to(args.device)
    optimizer = fn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = fn.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    early_stopping = fn.EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True)
    history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=args.epochs,
                     batch_size=args.batch_size, val_data=val, scheduler=scheduler, callbacks=[early_stopping])

    ran = len(history.epoch)
    stopped = f"stopped early after epoch {ran}" if early_stopping.stopped_epoch is not None else f"ran all {ran} epochs"
    print(f"{stopped}; best val_loss {early_stopping.tracker.best:.4f} at epoch {early_stopping.best_epoch + 1}, "
          "whose weights were restored")
    print("learning rate per epoch: " + ", ".join(f"{lr:g}" for lr in history["lr"]))
    test = fn.evaluate(model, (x_test, y_test), nn.CrossEntropyLoss())
    print(f"test accuracy {test['accuracy']:.4f}, test loss {test['loss']:.4f}")

    if importlib.util.find_spec("matplotlib") is None:
        print("note: matplotlib is not installed, so no plot (pip install matplotlib)")
    else:
        os.makedirs(args.out, exist_ok=True)
        path = history.plot(os.path.join(args.out, "06_fashion_mnist_mlp_curves.png"),
                            title="MLP with dropout, weight decay, early stopping, LR decay")
        print(f"training curves written to {path}")
    return {"history": history, "early_stopping": early_stopping, "test": test}


if __name__ == "__main__":
    main()
