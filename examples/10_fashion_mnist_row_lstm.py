"""Fashion-MNIST read row by row: an image as a sequence of 28 rows, classified by an LSTM.

An MLP sees the whole image at once; here an nn.LSTM reads it like a sequence, one 28-pixel row
per time step, top to bottom, and only its final hidden state h_n (a summary of everything it has
read) goes to the nn.Linear classifier. The same recipe classifies any sequence: sensor
readings, sentences, time series.

    python examples/10_fashion_mnist_row_lstm.py [--epochs 2] [--hidden 128] [--sample] [--train-size N] [--test-size N]
        [--device cuda]
"""
import argparse

import fastnn as fn
from fastnn import nn
from fastnn.demo import add_device_argument, load_fashion_mnist_or_sample


class RowLSTM(nn.Module):
    def __init__(self, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden_size, num_layers, batch_first=True)
        self.classifier = nn.Linear(hidden_size, 10)

    def forward(self, images):
        """images [N, 1, 28, 28] -> logits [N, 10]: the rows are the 28 time steps."""
        _, (h_n, _) = self.lstm(images.reshape(-1, 28, 28))
        return self.classifier(h_n[-1])  # the last layer's state after the bottom row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
    parser.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--hidden", type=int, default=128, help="LSTM hidden size (default 128)")
    parser.add_argument("--layers", type=int, default=1, help="LSTM layers (default 1)")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    x_test, y_test = x_test[:args.test_size], y_test[:args.test_size]
    print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(x_train):,} training and "
          f"{len(x_test):,} test images, each read as 28 steps of 28 pixels by LSTM(28, {args.hidden}, "
          f"num_layers={args.layers})")
    model = RowLSTM(args.hidden, args.layers).to(args.device)
    before = fn.evaluate(model, (x_test, y_test))["accuracy"]
    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=args.epochs,
                     batch_size=args.batch_size, progress=False)
    for epoch, (loss, accuracy, seconds) in enumerate(zip(history["loss"], history["accuracy"], history["time"])):
        print(f"epoch {epoch + 1}: training loss {loss:.4f}, accuracy {accuracy:.4f} ({seconds:.1f} s)")
    test = fn.evaluate(model, (x_test, y_test), nn.CrossEntropyLoss())
    print(f"test accuracy {test['accuracy']:.4f} (untrained: {before:.4f}, chance: 0.1), test loss {test['loss']:.4f}")
    return {"test": test, "untrained_accuracy": before, "history": history}


if __name__ == "__main__":
    main()
