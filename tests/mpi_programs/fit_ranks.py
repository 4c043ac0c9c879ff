"""fit on several ranks: argv[1] is the case (metrics, uneven, fail, save DIR, resume DIR)."""
import sys

import numpy as np

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.data import DataLoader, DistributedSampler, TensorDataset
from fastnn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
case = sys.argv[1]


def data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)


def classifier(seed, dropout=0.0):
    fn.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2)).double()


def gathered(value):
    everyone = [None] * world
    dist.all_gather_object(everyone, value)
    return everyone


class Draws(fn.Callback):
    """What the default generator gives at each epoch's start (dropout draws from it)."""

    def __init__(self):
        self.draws = []

    def on_epoch_begin(self, epoch):
        self.draws.append(fn.rand(4).tolist())


train, val = data(23, 1), data(13, 2)  # neither divides by 2 or 3: the samplers pad
if case == "metrics":
    runs = []
    for _ in range(2):
        model = classifier(7, dropout=0.3)
        draws = Draws()
        history = fn.fit(DDP(model), nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), train,
                         epochs=3, val_data=val, batch_size=4, callbacks=[draws])
        logged = {k: v for k, v in history.history.items() if k not in ("time", "samples_per_s")}
        runs.append((draws.draws, logged, [p.numpy().copy() for p in model.parameters()]))
    (draws, logged, params), (draws_again, logged_again, params_again) = runs
    assert draws == draws_again and logged == logged_again, "fit on N ranks is not reproducible"
    assert all(np.array_equal(a, b) for a, b in zip(params, params_again))
    everyone = gathered(draws)
    assert len({str(d) for d in everyone}) == world, "ranks draw the same dropout masks"
    assert all(h == logged for h in gathered(logged)), "ranks logged different values"
    # the padded samples count once: 23 training samples, and the validation values are those of
    # one process evaluating the whole validation set
    assert [round(s * t) for s, t in zip(history["samples_per_s"], history["time"])] == [23] * 3, history
    history = history.history
    model.eval()
    alone = fn.evaluate(model, val, nn.CrossEntropyLoss())
    assert abs(alone["loss"] - history["val_loss"][-1]) < 1e-12, (alone, history["val_loss"])
    assert abs(alone["accuracy"] - history["val_accuracy"][-1]) < 1e-12, (alone, history["val_accuracy"])

    # drop_last: 11 samples per rank on 2 ranks (7 on 3), no padding
    model = classifier(7)
    loader = DataLoader(TensorDataset(fn.tensor(train[0]), fn.tensor(train[1])), batch_size=4,
                        sampler=DistributedSampler(TensorDataset(fn.tensor(train[0]), fn.tensor(train[1])),
                                                   drop_last=True))
    history = fn.fit(DDP(model), nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), loader, epochs=1,
                     progress=False)
    assert round(history["samples_per_s"][0] * history["time"][0]) == (23 // world) * world, history

    # rank 0 decides when to stop
    class StopOnRankZero(fn.Callback):
        def on_epoch_end(self, epoch, logs):
            self.trainer.stop_training = rank == 0

    history = fn.fit(DDP(classifier(7)), nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), train,
                     epochs=3, batch_size=4, callbacks=[StopOnRankZero()], progress=False)
    assert history.epoch == [0], history.epoch
elif case == "uneven":  # rank 1 has one batch more than the others
    model = classifier(7)
    mine = data(8 + 4 * (rank == 1), 3)
    loader = DataLoader(TensorDataset(fn.tensor(mine[0]), fn.tensor(mine[1])), batch_size=4)
    fn.fit(DDP(model), nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), loader, epochs=1)
elif case == "fail":
    class Flaky(TensorDataset):
        def __getitem__(self, index):
            if rank == 1 and index == 3:
                raise OSError("deliberate failure while loading sample 3")
            return super().__getitem__(index)

    model = classifier(7)
    dataset = Flaky(fn.tensor(train[0]), fn.tensor(train[1]))
    fn.fit(DDP(model), nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), dataset, epochs=2,
           batch_size=4, shuffle=False)
elif case in ("save", "resume"):
    directory = sys.argv[2]
    import fastnn.io

    saved = []
    original_save = fastnn.io.save
    fastnn.io.save = lambda state, path: (saved.append(path), original_save(state, path))[1]

    def train_for(model, epochs, callbacks=()):
        fn.fit(model, nn.CrossEntropyLoss(), fn.optim.SGD(model.parameters(), lr=0.1), train, epochs=epochs,
               batch_size=4, shuffle=False, callbacks=callbacks, progress=False)

    if case == "save":
        model = DDP(classifier(11))
        train_for(model, 2, [fn.ModelCheckpoint(f"{directory}/ckpt_{{epoch}}.safetensors", save_best_only=False)])
        assert len(saved) == (2 if rank == 0 else 0), saved
        state = fn.load(f"{directory}/ckpt_2.safetensors")  # there on every rank after fit's barrier
        assert sorted(state) == sorted(model.state_dict()) and all(k.startswith("module.") for k in state)
    else:
        resumed = DDP(classifier(99))
        resumed.load_state_dict(fn.load(f"{directory}/ckpt_2.safetensors"))
        train_for(resumed, 1)
        continuous = DDP(classifier(11))
        train_for(continuous, 3)
        for (name, a), b in zip(resumed.named_parameters(), continuous.parameters()):
            assert np.array_equal(a.numpy(), b.numpy()), name
        assert all(g == gathered(resumed.state_dict()["module.0.weight"].tolist())[0]
                   for g in gathered(resumed.state_dict()["module.0.weight"].tolist()))
print(f"rank {rank} OK", flush=True)
