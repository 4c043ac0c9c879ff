"""One-off check (not a test): fastnn's MultiheadAttention, scaled_dot_product_attention and
Embedding against PyTorch with copied weights; prints the largest absolute differences of the
outputs, attention weights and gradients. Needs torch installed."""
import numpy as np
import torch

import fastnn as fn
from fastnn import nn


def diff(ours, theirs):
    return float(np.max(np.abs(np.asarray(ours) - theirs.detach().numpy()))) if theirs.numel() else 0.0


def compare_mha(batch_first, kdim, need_weights, average, masks, dtype=np.float64):
    rng = np.random.default_rng(0)
    e, h, n, tq, tk = 12, 3, 2, 5, 7
    ours = nn.MultiheadAttention(e, h, batch_first=batch_first, kdim=kdim, vdim=kdim, dtype=dtype)
    theirs = torch.nn.MultiheadAttention(e, h, batch_first=batch_first, kdim=kdim, vdim=kdim,
                                         dtype=torch.float64 if dtype == np.float64 else torch.float32)
    theirs.load_state_dict({k: torch.from_numpy(v._data.copy()) for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict()), (list(ours.state_dict()), list(theirs.state_dict()))
    kd = kdim or e
    shape = (lambda t, d: (n, t, d)) if batch_first else (lambda t, d: (t, n, d))
    arrays = [rng.standard_normal(shape(tq, e)), rng.standard_normal(shape(tk, kd)), rng.standard_normal(shape(tk, kd))]
    arrays = [a.astype(dtype) for a in arrays]
    kwargs_ours, kwargs_theirs = {}, {}
    if masks:
        kpm = rng.random((n, tk)) < 0.3
        kpm[:, 0] = False
        attn = np.triu(np.ones((tq, tk), dtype=bool), 3)
        kwargs_ours = dict(key_padding_mask=kpm, attn_mask=attn)
        kwargs_theirs = dict(key_padding_mask=torch.from_numpy(kpm), attn_mask=torch.from_numpy(attn))
    xs = [fn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, w = ours(*xs, need_weights=need_weights, average_attn_weights=average, **kwargs_ours)
    tout, tw = theirs(*ts, need_weights=need_weights, average_attn_weights=average, **kwargs_theirs)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(fn.tensor(g))
    tout.backward(torch.from_numpy(g))
    worst = max(diff(out._data, tout), 0 if w is None else diff(w._data, tw),
                *(diff(x.grad._data, t.grad) for x, t in zip(xs, ts)),
                *(diff(p.grad._data, tp.grad) for p, tp in zip(ours.parameters(), theirs.parameters())))
    print(f"MHA batch_first={batch_first} kdim={kdim} need_weights={need_weights} average={average} masks={masks} "
          f"{np.dtype(dtype).name}: max |diff| = {worst:.2e}")


def compare_sdpa(dtype):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in ((2, 3, 9, 16), (2, 3, 11, 16), (2, 3, 11, 8)))
    bool_mask = rng.random((9, 11)) < 0.7
    bool_mask[4] = False  # a fully masked row
    for kwargs in ({}, {"is_causal": True}, {"attn_mask": bool_mask}, {"attn_mask": rng.standard_normal((3, 9, 11))}):
        xs = [fn.tensor(a, requires_grad=True) for a in (q, k, v)]
        ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        tk = {key: torch.from_numpy(np.asarray(val, dtype=bool if val.dtype == bool else dtype))
              if isinstance(val, np.ndarray) else val for key, val in kwargs.items()}
        ok = {key: np.asarray(val, dtype=bool if val.dtype == bool else dtype) if isinstance(val, np.ndarray) else val
              for key, val in kwargs.items()}
        out = nn.functional.scaled_dot_product_attention(*xs, **ok)
        tout = torch.nn.functional.scaled_dot_product_attention(*ts, **tk)
        out.sum().backward()
        tout.sum().backward()
        worst = max(diff(out._data, tout), *(diff(x.grad._data, t.grad) for x, t in zip(xs, ts)))
        print(f"SDPA {sorted(kwargs)} {np.dtype(dtype).name}: max |diff| = {worst:.2e}")


def compare_embedding():
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((10, 6))
    ids = rng.integers(0, 10, (4, 7))
    ours = nn.Embedding.from_pretrained(fn.tensor(weight), freeze=False, padding_idx=3)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(weight), freeze=False, padding_idx=3)
    out, tout = ours(ids), theirs(torch.from_numpy(ids))
    g = rng.standard_normal(out.shape)
    out.backward(fn.tensor(g))
    tout.backward(torch.from_numpy(g))
    print(f"Embedding: max |diff| = {max(diff(out._data, tout), diff(ours.weight.grad._data, theirs.weight.grad)):.2e}")


if __name__ == "__main__":
    for dtype in (np.float64, np.float32):
        compare_sdpa(dtype)
        for batch_first in (False, True):
            for kdim in (None, 5):
                for need_weights, average in ((True, True), (True, False), (False, True)):
                    for masks in (False, True):
                        compare_mha(batch_first, kdim, need_weights, average, masks, dtype)
    compare_embedding()
