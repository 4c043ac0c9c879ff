"""fit(), evaluate(), predict() and History: the Keras-style training loop on fastnn modules."""
import sys
import time

import numpy as np

from fastnn.autograd.engine import no_grad
from fastnn.callbacks import Callback, LRSchedulerCallback
from fastnn.metrics import make_metric


class History:
    """Per-epoch logs of fit(): `history` maps 'loss', 'val_loss', metric names and 'lr' to
    lists (one value per epoch); `epoch` lists the epoch numbers (0-based)."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items()}
        return f"History(epochs={len(self.epoch)}, last={last})"

    def plot(self, path, title=None):
        """Writes a PNG of the loss curves (and metric curves, in a second panel) to `path`."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise RuntimeError("History.plot needs matplotlib: pip install fastnn[plot]") from error
        metrics = sorted({k.removeprefix("val_") for k in self.history} - {"loss", "lr", "time", "samples_per_s"})
        panels = 1 + bool(metrics)
        fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
        epochs = np.asarray(self.epoch) + 1
        for ax, names in zip(axes[0], [["loss"], metrics]):
            for name in names:
                for key in (name, "val_" + name):
                    if key in self.history:
                        ax.plot(epochs, self.history[key], marker="o", label=key)
            ax.set_xlabel("epoch")
            ax.legend()
            ax.grid(alpha=0.3)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path


def _loader(data, batch_size, shuffle, shard=False):
    """A DataLoader for a DataLoader, a Dataset or an (inputs, targets) pair of arrays/tensors;
    shard: each rank of fastnn.distributed loads its part (a DistributedSampler, seed 0)."""
    from fastnn.data import DataLoader, Dataset, DistributedSampler, TensorDataset
    from fastnn.creation import as_tensor

    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = TensorDataset(as_tensor(data[0]), as_tensor(data[1]))
    elif not isinstance(data, Dataset):
        raise TypeError("data must be a DataLoader, a Dataset or an (inputs, targets) pair, "
                        f"got {type(data).__name__}")
    if shard:
        return DataLoader(data, batch_size=batch_size, sampler=DistributedSampler(data, shuffle=shuffle))
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _uses_logits(loss_fn):
    return type(loss_fn).__name__ in ("BCEWithLogitsLoss",)


class _Trainer:
    """What callbacks see: the model, the optimizer, the history, and the stop flag; on several
    ranks (`distributed`) also this process's `rank` (callbacks that write files do so on rank 0)."""

    def __init__(self, model, optimizer, history, distributed=False, rank=0):
        self.model, self.optimizer, self.history = model, optimizer, history
        self.stop_training = False
        self.distributed, self.rank = distributed, rank


def _world_size():
    import fastnn.distributed as dist

    return dist.get_world_size() if dist.is_initialized() else 1


def _sharded(loader):
    """The DistributedSampler of a loader whose ranks load different parts, else None."""
    from fastnn.data import DistributedSampler

    sampler = getattr(loader, "sampler", None)
    return sampler if isinstance(sampler, DistributedSampler) and sampler.num_replicas > 1 else None


def _is_data_parallel(model):
    from fastnn.nn.parallel import DistributedDataParallel

    return isinstance(model, DistributedDataParallel)


def _reduce_epoch(total_loss, seen, metrics):
    """Sums the loss, the sample count and the metrics' totals and counts over the ranks."""
    import fastnn.distributed as dist
    from fastnn.tensor import Tensor

    sums = Tensor(np.array([total_loss, seen] + [x for m in metrics for x in (m.total, m.count)], dtype=np.float64))
    dist.all_reduce(sums)
    values = sums._data.tolist()
    for i, m in enumerate(metrics):
        m.total, m.count = values[2 + 2 * i], values[3 + 2 * i]
    return values[0], int(values[1])


def _seed_per_rank(rank):
    """Distinct, reproducible random streams (dropout) per rank: rank 0 draws a seed from the
    default generator and broadcasts it; each rank seeds the default generator with (seed, rank)."""
    import fastnn.distributed as dist
    from fastnn.random import default_generator

    base = [default_generator.next_seed() if rank == 0 else None]
    dist.broadcast_object_list(base, src=0)
    state = np.random.SeedSequence([base[0], rank]).generate_state(2, np.uint64)
    default_generator.manual_seed(int(state[0]) << 64 | int(state[1]))


def _check_same_batch_count(loader, epoch):
    """Every rank must run as many training batches (each one all-reduces gradients): a clear
    error on every rank now instead of a hang at the first missing allreduce."""
    import fastnn.distributed as dist

    try:
        mine = len(loader)
    except TypeError:  # an IterableDataset of unknown length
        mine = None
    counts = [None] * dist.get_world_size()
    dist.all_gather_object(counts, mine)
    if len(set(counts)) > 1:
        raise ValueError(f"epoch {epoch}: the ranks would run different numbers of training batches "
                         f"(rank: batches {dict(enumerate(counts))}); every rank must run the same number, "
                         "e.g. with a DistributedSampler over a dataset of the same length on every rank")


def _current_lr(optimizer):
    return float(optimizer.param_groups[0]["lr"]) if optimizer is not None else float("nan")


def _model_device(model):
    """The device of the model's first parameter or buffer (None for a model without either)."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return None


def _on_device(data, device):
    """A batch (a Tensor, or a tuple / list of them) on `device`, as Keras moves batches to the
    model: a cuda model trains on host data without a `.to()` in the user's loop."""
    if device is None:
        return data
    if isinstance(data, (tuple, list)):
        return type(data)(_on_device(d, device) for d in data)
    return data.to(device) if hasattr(data, "device") and data.device != device else data


def _run_epoch(model, loss_fn, loader, metrics, optimizer=None, scheduler_per_batch=None, bar=None,
               callbacks=()):
    """One pass over `loader`: trains when an optimizer is given, else evaluates. Batches go to the
    model's device. On a loader sharded over several ranks the loss and the metrics count only the
    samples that are not the sampler's padding, summed over the ranks."""
    for m in metrics:
        m.reset()
    total_loss, seen = 0.0, 0
    sampler = _sharded(loader)
    real = sampler.num_real_samples if sampler is not None else None
    device = _model_device(model)
    for batch_index, (inputs, targets) in enumerate(loader):
        inputs, targets = _on_device(inputs, device), _on_device(targets, device)
        if optimizer is not None:
            output = model(inputs)
            loss = loss_fn(output, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler_per_batch is not None:
                scheduler_per_batch.step()
        else:
            output = model(inputs)
            loss = loss_fn(output, targets) if loss_fn is not None else None
        n = len(targets)
        if real is not None and seen + n > real:  # the sampler's padding: repeats of other ranks' samples
            kept = max(real - seen, 0)
            output, targets = output[:kept], targets[:kept]
            if loss is not None:
                with no_grad():
                    loss = loss_fn(output, targets) if kept else None
            n = kept
        seen += n
        if loss is not None:
            total_loss += loss.item() * n
        for m in metrics:
            if n:
                m.update(output, targets)
        if bar is not None:
            bar.update(n)
            if batch_index % 10 == 0:
                bar.set_postfix(loss=f"{total_loss / max(seen, 1):.4f}", refresh=False)
        for cb in callbacks:
            cb.on_batch_end(batch_index, {"loss": loss.item() if loss is not None else None})
    if sampler is not None:
        total_loss, seen = _reduce_epoch(total_loss, seen, metrics)
    logs = {"loss": total_loss / seen if seen and loss_fn is not None else float("nan")}
    logs.update({m.name: m.result() for m in metrics})
    return logs, seen


def _progress_bar(total, epoch, epochs, enabled):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"Epoch {epoch + 1}/{epochs}", unit="samples", leave=True, dynamic_ncols=True)


def _format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items()
                      if k not in ("lr",))


def fit(model, loss_fn, optimizer, train_data, epochs=1, val_data=None, batch_size=32, scheduler=None,
        callbacks=(), metrics=("accuracy",), progress=True, shuffle=True, scheduler_interval="epoch"):
    """Trains `model` for `epochs` epochs and returns a History.

    train_data / val_data: a DataLoader, a Dataset or an (inputs, targets) pair (batched with
    `batch_size`, training data shuffled). scheduler: stepped after each epoch (or each batch when
    scheduler_interval='batch', e.g. OneCycleLR); ReduceLROnPlateau gets val_loss (or loss).
    Each batch goes to the model's device, so a model moved to 'cuda' trains on host data.
    metrics: names ('accuracy', 'mae', 'mse'), Metric objects or functions f(output, target).
    Progress: a tqdm bar per epoch on a terminal, one line per epoch otherwise; progress=False is
    silent. When the training loader's sampler has set_epoch (e.g. a DistributedSampler), fit calls
    sampler.set_epoch(epoch) before each epoch, as PyTorch training loops do by hand, so that each
    epoch is shuffled anew.

    On several ranks (fastnn.distributed initialized with world size > 1, and `model` a
    DistributedDataParallel or the training loader sharded by a DistributedSampler), call fit on
    every rank: data given as a Dataset or a pair are sharded with a DistributedSampler; every rank
    must run the same number of batches per epoch (checked at the start of each epoch); the loss
    and metrics of sharded loaders are summed over the ranks (the sampler's padding not counted),
    so every rank logs the same values; progress is shown on rank 0 only; rank 0's stop_training
    (EarlyStopping) is broadcast after each epoch; ModelCheckpoint writes on rank 0, then all ranks
    wait for the file; the default generator is reseeded per rank from a seed rank 0 draws, so
    dropout masks differ between ranks and repeat from run to run.
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    world = _world_size()
    data_parallel = world > 1 and _is_data_parallel(model)
    train_loader = _loader(train_data, batch_size, shuffle, shard=data_parallel)
    val_loader = _loader(val_data, batch_size, False, shard=data_parallel) if val_data is not None else None
    distributed = data_parallel or (world > 1 and _sharded(train_loader) is not None)
    if distributed:
        import fastnn.distributed as dist

        rank = dist.get_rank()
        _seed_per_rank(rank)
    else:
        rank = 0
    progress = progress and rank == 0
    logits = _uses_logits(loss_fn)
    train_metrics = [make_metric(m, logits) for m in metrics]
    val_metrics = [make_metric(m, logits) for m in metrics]
    history = History()
    trainer = _Trainer(model, optimizer, history, distributed, rank)
    callbacks = list(callbacks)
    if scheduler is not None and scheduler_interval == "epoch":
        callbacks.append(LRSchedulerCallback(scheduler))
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
        cb.trainer = trainer
        cb.on_train_begin()
    try:
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            set_epoch = getattr(getattr(train_loader, "sampler", None), "set_epoch", None)
            if set_epoch is not None:
                set_epoch(epoch)
            if distributed:
                _check_same_batch_count(train_loader, epoch)
            lr = _current_lr(optimizer)
            sampler = _sharded(train_loader)  # on rank 0: its own samples, without the padding
            shown_samples = sampler.num_real_samples if sampler is not None else len(train_loader.dataset)
            bar = _progress_bar(shown_samples, epoch, epochs, progress)
            start = time.perf_counter()
            model.train()
            logs, seen = _run_epoch(model, loss_fn, train_loader, train_metrics, optimizer,
                                    scheduler if scheduler_interval == "batch" else None, bar, callbacks)
            elapsed = time.perf_counter() - start
            if val_loader is not None:
                val_logs = evaluate(model, val_loader, loss_fn, val_metrics)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            logs["lr"] = lr
            logs["time"] = elapsed
            logs["samples_per_s"] = seen / elapsed if elapsed > 0 else float("inf")
            history.append(epoch, logs)
            shown = {k: v for k, v in logs.items() if k not in ("time", "samples_per_s")}
            if bar is not None:
                bar.set_postfix_str(_format_logs(shown), refresh=True)
                bar.close()
            elif progress:
                print(f"Epoch {epoch + 1}/{epochs} - {elapsed:.1f}s - {_format_logs(shown)}", flush=True)
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if distributed:  # rank 0 decides, so that no rank trains on alone
                decision = [trainer.stop_training]
                dist.broadcast_object_list(decision, src=0)
                trainer.stop_training = decision[0]
            if trainer.stop_training:
                break
    finally:
        for cb in callbacks:
            cb.on_train_end()
    return history


def evaluate(model, data, loss_fn=None, metrics=("accuracy",), batch_size=256):
    """Loss and metrics of `model` on `data` (eval mode, no graph); returns a dict."""
    loader = _loader(data, batch_size, False)
    metric_objects = [make_metric(m, _uses_logits(loss_fn)) for m in metrics]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            logs, _ = _run_epoch(model, loss_fn, loader, metric_objects)
    finally:
        model.train(was_training)
    if loss_fn is None:
        logs.pop("loss")
    return logs


def predict(model, inputs, batch_size=256):
    """model(inputs) in eval mode without a graph, batch by batch (each moved to the model's
    device), concatenated into one Tensor on that device."""
    from fastnn.creation import as_tensor
    from fastnn.functions import cat

    x = as_tensor(inputs)
    device = _model_device(model)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(_on_device(x[i:i + batch_size], device)) for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict() got no inputs")
    return outputs[0] if len(outputs) == 1 else cat(outputs)


