"""Next-character prediction with an LSTM, and sampling new text with a temperature.

The course's sequence-prediction exercise: a character tokenizer turns the text into integer ids
(its vocabulary: every distinct character of the text), an nn.Embedding turns ids into vectors,
an nn.LSTM reads them and an nn.Linear scores the next character at every position. Trained with
cross-entropy on random windows of the text (teacher forcing: the input is the window, the target
the same window shifted by one character). New text is sampled one character at a time from
softmax(logits / temperature), feeding each sampled character back with the LSTM's state: a low
temperature picks the likeliest characters, a high one is more varied (and makes more mistakes).

The text, examples/data/shakespeare_sonnets.txt, is nine of Shakespeare's sonnets (1, 18, 29, 30,
55, 60, 73, 116, 130; published 1609, public domain), in the modernised spelling of the common
public-domain editions.

    python examples/08_char_lstm.py [--steps 500] [--hidden 128] [--temperature 0.5] [--device cuda]
"""
import argparse
import math
import pathlib
import time

import numpy as np

import fastnn as fn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.demo import add_device_argument

TEXT = pathlib.Path(__file__).resolve().parent / "data" / "shakespeare_sonnets.txt"


class CharTokenizer:
    """Maps each distinct character of a text to an id; sorted, so the same text gives the same ids."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.ids = {char: i for i, char in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        unknown = sorted(set(text) - self.ids.keys())
        if unknown:
            raise ValueError(f"CharTokenizer.encode: characters not in the vocabulary: {unknown}")
        return np.array([self.ids[char] for char in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_size, num_layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """ids [N, T] -> (next-character logits [N, T, vocab_size], the LSTM's (h, c) after step T)."""
        outputs, state = self.lstm(self.embedding(ids), state)
        return self.head(outputs), state


def random_windows(ids, batch_size, length, rng, device="cpu"):
    """A batch of random windows of the text: inputs ids[s:s+length], targets ids[s+1:s+length+1]."""
    starts = rng.integers(0, len(ids) - length, size=batch_size)
    windows = np.stack([ids[start:start + length + 1] for start in starts])
    return fn.tensor(windows[:, :-1], device=device), fn.tensor(windows[:, 1:], device=device)


def text_loss(model, ids, length, device="cpu"):
    """Mean cross-entropy (nats per character) of predicting every character of the text."""
    n = (len(ids) - 1) // length
    inputs = fn.tensor(ids[:n * length].reshape(n, length), device=device)
    targets = fn.tensor(ids[1:n * length + 1].reshape(n, length), device=device)
    model.eval()
    with fn.no_grad():
        logits, _ = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)).item()
    model.train()
    return loss


def sample(model, tokenizer, prompt, length, temperature, rng, device="cpu"):
    """The prompt followed by `length` characters drawn one at a time from softmax(logits / temperature)."""
    model.eval()
    generated = []
    with fn.no_grad():
        logits, state = model(fn.tensor(tokenizer.encode(prompt)[None], device=device))
        for _ in range(length):
            scores = logits[0, -1].cpu().numpy().astype(np.float64) / temperature
            probabilities = np.exp(scores - scores.max())
            next_id = rng.choice(len(probabilities), p=probabilities / probabilities.sum())
            generated.append(next_id)
            logits, state = model(fn.tensor([[next_id]], device=device), state)
    model.train()
    return prompt + tokenizer.decode(generated)


def print_samples(title, model, tokenizer, args, rng):
    samples = {}
    for temperature in (args.temperature, 1.0):
        text = sample(model, tokenizer, args.prompt, args.sample_length, temperature, rng, args.device)
        samples[temperature] = text
        print(f"--- {title}, temperature {temperature:g} ---\n{text}\n")
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="training steps (default 500)")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per step (default 32)")
    parser.add_argument("--seq-len", type=int, default=64, help="characters per window (default 64)")
    parser.add_argument("--embedding-dim", type=int, default=32, help="embedding size (default 32)")
    parser.add_argument("--hidden", type=int, default=128, help="LSTM hidden size (default 128)")
    parser.add_argument("--layers", type=int, default=1, help="LSTM layers (default 1)")
    parser.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate (default 5e-3)")
    parser.add_argument("--temperature", type=float, default=0.5, help="sampling temperature shown next to 1.0 "
                                                                         "(default 0.5)")
    parser.add_argument("--prompt", default="Shall I ", help="text the samples start from (default 'Shall I ')")
    parser.add_argument("--sample-length", type=int, default=200, help="characters sampled (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    add_device_argument(parser)
    args = parser.parse_args(argv)

    fn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = TEXT.read_text(encoding="utf-8")
    tokenizer = CharTokenizer(text)
    ids = tokenizer.encode(text)
    model = CharLSTM(tokenizer.vocab_size, args.embedding_dim, args.hidden, args.layers).to(args.device)
    print(f"{TEXT.name}: {len(text):,} characters, vocabulary of {tokenizer.vocab_size}; "
          f"Embedding({tokenizer.vocab_size}, {args.embedding_dim}) -> LSTM({args.embedding_dim}, {args.hidden}, "
          f"num_layers={args.layers}) -> Linear({args.hidden}, {tokenizer.vocab_size})")
    initial_loss = text_loss(model, ids, args.seq_len, args.device)
    print(f"before training: loss {initial_loss:.3f} nats/char (guessing uniformly: ln {tokenizer.vocab_size} = "
          f"{math.log(tokenizer.vocab_size):.3f})\n")
    samples_before = print_samples("sample before training", model, tokenizer, args, rng)

    optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        inputs, targets = random_windows(ids, args.batch_size, args.seq_len, rng, args.device)
        logits, _ = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, tokenizer.vocab_size), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # LSTMs' gradients occasionally spike
        optimizer.step()
        if step % max(1, args.steps // 5) == 0:
            print(f"step {step:4d}: batch loss {loss.item():.3f}")
    final_loss = text_loss(model, ids, args.seq_len, args.device)
    print(f"after {args.steps} steps ({time.perf_counter() - start:.1f} s): loss {final_loss:.3f} nats/char "
          f"(was {initial_loss:.3f})\n")
    samples_after = print_samples("sample after training", model, tokenizer, args, rng)
    return {"initial_loss": initial_loss, "final_loss": final_loss, "tokenizer": tokenizer,
            "samples_before": samples_before, "samples_after": samples_after}


if __name__ == "__main__":
    main()
