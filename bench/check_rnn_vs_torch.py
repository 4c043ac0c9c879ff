"""One-off check, not a test (needs PyTorch): fastnn's RNN/LSTM/GRU and cells against torch.nn
with copied weights, over every option combination, printing the largest absolute difference of
outputs and of all gradients (input, initial states, parameters). Run: python bench/check_rnn_vs_torch.py"""
import itertools, numpy as np, torch, fastnn as fn
torch.set_default_dtype(torch.float64)
worst = {}
for name, opts in itertools.product(["RNN", "LSTM", "GRU"], itertools.product([1, 2], [False, True], [False, True], [False, True], ["float32", "float64"])):
    layers, bidir, bf, init, dt = opts
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=bf)
    tm = getattr(torch.nn, name)(5, 7, dtype=getattr(torch, dt), **kw)
    fm = getattr(fn.nn, name)(5, 7, dtype=dt, **kw)
    fm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    assert list(fm.state_dict()) == list(tm.state_dict())
    rng = np.random.default_rng(0)
    T, B = 6, 3
    xs = rng.standard_normal((B, T, 5) if bf else (T, B, 5)).astype(dt)
    D = (2 if bidir else 1) * layers
    h0 = rng.standard_normal((D, B, 7)).astype(dt); c0 = rng.standard_normal((D, B, 7)).astype(dt)
    tx = torch.tensor(xs, requires_grad=True); fx = fn.tensor(xs, requires_grad=True)
    if init:
        th = (torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)) if name == "LSTM" else torch.tensor(h0, requires_grad=True)
        fh = (fn.tensor(h0, requires_grad=True), fn.tensor(c0, requires_grad=True)) if name == "LSTM" else fn.tensor(h0, requires_grad=True)
        ty, tr = tm(tx, th); fy, fr = fm(fx, fh)
    else:
        ty, tr = tm(tx); fy, fr = fm(fx)
    tl = (ty ** 2).sum() + ((tr[0] ** 3).sum() + tr[1].sum() if name == "LSTM" else (tr ** 3).sum())
    fl = (fy ** 2).sum() + ((fr[0] ** 3).sum() + fr[1].sum() if name == "LSTM" else (fr ** 3).sum())
    tl.backward(); fl.backward()
    diffs = [np.abs(fy.numpy() - ty.detach().numpy()).max()]
    for (k, tp), (k2, fp) in zip(tm.named_parameters(), fm.named_parameters()):
        assert k == k2
        diffs.append(np.abs(fp.grad.numpy() - tp.grad.numpy()).max())
    diffs.append(np.abs(fx.grad.numpy() - tx.grad.numpy()).max())
    if init:
        for a, b in zip(fh if name == "LSTM" else (fh,), th if name == "LSTM" else (th,)):
            diffs.append(np.abs(a.grad.numpy() - b.grad.numpy()).max())
    key = (name, dt)
    worst[key] = max(worst.get(key, 0), max(diffs))
for k, v in worst.items():
    print(k, f"max abs diff (outputs, all grads) {v:.3g}")
# unbatched (2-D) input
for name in ["RNN", "LSTM", "GRU"]:
    tm = getattr(torch.nn, name)(5, 7, num_layers=2, bidirectional=True); fm = getattr(fn.nn, name)(5, 7, num_layers=2, bidirectional=True, dtype="float64")
    fm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((6, 5))
    ty, _ = tm(torch.tensor(x)); fy, _ = fm(fn.tensor(x))
    print(name, "unbatched", f"max abs diff {np.abs(fy.numpy() - ty.detach().numpy()).max():.3g}", fy.shape)
# cells
for name in ["RNNCell", "LSTMCell", "GRUCell"]:
    for dt in ["float32", "float64"]:
        tm = getattr(torch.nn, name)(5, 7, dtype=getattr(torch, dt)); fm = getattr(fn.nn, name)(5, 7, dtype=dt)
        fm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
        rng = np.random.default_rng(1)
        x = rng.standard_normal((3, 5)).astype(dt); h = rng.standard_normal((3, 7)).astype(dt)
        tx, fx = torch.tensor(x, requires_grad=True), fn.tensor(x, requires_grad=True)
        th, fh = torch.tensor(h, requires_grad=True), fn.tensor(h, requires_grad=True)
        if name == "LSTMCell":
            to = tm(tx, (th, th * 0.5)); fo = fm(fx, (fh, fh * 0.5))
            tl = (to[0] ** 2).sum() + (to[1] ** 3).sum(); fl = (fo[0] ** 2).sum() + (fo[1] ** 3).sum(); outs = [(fo[0], to[0]), (fo[1], to[1])]
        else:
            to = tm(tx, th); fo = fm(fx, fh); tl = (to ** 2).sum(); fl = (fo ** 2).sum(); outs = [(fo, to)]
        tl.backward(); fl.backward()
        d = max([np.abs(a.numpy() - b.detach().numpy()).max() for a, b in outs] + [np.abs(fx.grad.numpy() - tx.grad.numpy()).max(), np.abs(fh.grad.numpy() - th.grad.numpy()).max()] + [np.abs(fp.grad.numpy() - tp.grad.numpy()).max() for tp, fp in zip(tm.parameters(), fm.parameters())])
        print(name, dt, f"max abs diff {d:.3g}")
