"""A tiny transformer encoder learns to sort a sequence of digits.

Attention (softmax(Q K^T / sqrt(d)) V) lets every position look at every other one in one step,
which is what sorting needs: the digit at output position i is the i-th smallest of the whole
input, wherever it sits. The model, as in "Attention is all you need" (Vaswani et al., 2017) but
small:
  - token embedding + learnt positional embedding (attention itself ignores order),
  - encoder blocks, each x + MultiheadAttention(LayerNorm(x)) then x + MLP(LayerNorm(x))
    (residual connections around both; layer norm first, the "pre-norm" variant that trains
    without a warm-up),
  - a final LayerNorm and a linear layer scoring the 10 digits at every position.
Trained on fresh random sequences every step, evaluated on a fixed test set of unseen ones.

    python examples/11_tiny_transformer.py [--length 8] [--steps 1500] [--layers 2] [--heads 4] [--device cuda]
"""
import argparse
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.demo import add_device_argument

DIGITS = 10


class EncoderBlock(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.mlp_norm = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        h = self.attention_norm(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.mlp_norm(x))


class TinyTransformer(nn.Module):
    def __init__(self, length, d_model, num_heads, num_layers):
        super().__init__()
        self.token = nn.Embedding(DIGITS, d_model)
        self.position = nn.Embedding(length, d_model)
        self.blocks = nn.Sequential(*(EncoderBlock(d_model, num_heads) for _ in range(num_layers)))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, DIGITS)

    def forward(self, tokens):
        """tokens [N, T] -> logits [N, T, 10] of the digit at each output position."""
        x = self.token(tokens) + self.position(fn.arange(tokens.shape[1], device=tokens.device))
        return self.head(self.norm(self.blocks(x)))


def sorting_batch(size, length, rng):
    digits = rng.integers(0, DIGITS, size=(size, length))
    return fn.from_numpy(digits), fn.from_numpy(np.sort(digits, axis=1))


def accuracy(model, inputs, targets):
    """(fraction of correct digits, fraction of sequences sorted entirely right)."""
    model.eval()
    with fn.no_grad():
        correct = model(inputs).argmax(-1).cpu().numpy() == targets.cpu().numpy()
    model.train()
    return float(correct.mean()), float(correct.all(axis=1).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=8, help="digits per sequence (default 8)")
    parser.add_argument("--steps", type=int, default=1500, help="training steps (default 1500)")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per step (default 64)")
    parser.add_argument("--d-model", type=int, default=64, help="embedding size (default 64)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    parser.add_argument("--layers", type=int, default=2, help="encoder blocks (default 2)")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (default 1e-3)")
    parser.add_argument("--test-size", type=int, default=1000, help="test sequences (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    test_inputs, test_targets = (t.to(args.device) for t in sorting_batch(args.test_size, args.length, rng))
    model = TinyTransformer(args.length, args.d_model, args.heads, args.layers).to(args.device)
    print(f"sorting {args.length} digits with a transformer encoder: {args.layers} blocks, d_model {args.d_model}, "
          f"{args.heads} heads, {sum(p.numel() for p in model.parameters()):,} parameters")
    before = accuracy(model, test_inputs, test_targets)
    print(f"before training: {before[0]:.3f} of the digits right, {before[1]:.3f} of the sequences "
          f"(a digit guessed at random is right 0.1 of the time)")

    optimizer = fn.optim.AdamW(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        inputs, targets = (t.to(args.device) for t in sorting_batch(args.batch_size, args.length, rng))
        loss = F.cross_entropy(model(inputs).reshape(-1, DIGITS), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % max(1, args.steps // 5) == 0:
            digits, sequences = accuracy(model, test_inputs, test_targets)
            print(f"step {step:5d}: loss {loss.item():.4f}, test accuracy {digits:.3f} per digit, "
                  f"{sequences:.3f} per sequence")
    after = accuracy(model, test_inputs, test_targets)
    print(f"after {args.steps} steps ({time.perf_counter() - start:.1f} s): {after[0]:.3f} of the digits right, "
          f"{after[1]:.3f} of the sequences")
    model.eval()
    with fn.no_grad():
        predicted = model(test_inputs[:1]).argmax(-1)
    print(f"example: {test_inputs.tolist()[0]} -> {predicted.tolist()[0]} (sorted: {test_targets.tolist()[0]})")
    return {"before": before, "after": after}


if __name__ == "__main__":
    main()
