"""Callbacks for fit(): early stopping, checkpoints, learning-rate schedules."""
import copy
import math

from fastnn.autograd.engine import no_grad


class Callback:
    """Hooks called by fit(). `self.trainer` is set before training: it has `.model`,
    `.optimizer`, `.history` and `.stop_training` (set it to True to stop after this epoch)."""

    trainer = None

    def on_train_begin(self):
        pass

    def on_epoch_begin(self, epoch):
        pass

    def on_batch_end(self, batch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        pass

    def on_train_end(self):
        pass


class _Monitor:
    """Tracks the best value of one logged quantity ('val_loss', 'accuracy', ...)."""

    def __init__(self, monitor, mode, min_delta):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall", "f1")) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs):
        if self.monitor not in logs:
            raise KeyError(f"monitored quantity {self.monitor!r} is not logged; available: {sorted(logs)}"
                           " (val_* needs val_data)")
        return logs[self.monitor]

    def improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stops when `monitor` has not improved by more than `min_delta` for `patience` epochs.
    With restore_best_weights=True the model ends with the weights of its best epoch, whether
    training stopped early or ran all its epochs (`restore_best` is accepted as an alias)."""

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto", restore_best_weights=False,
                 restore_best=None):
        self.tracker = _Monitor(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights if restore_best is None else restore_best
        self.best_state = None
        self.best_epoch = None
        self.stopped_epoch = None
        self.wait = 0

    def on_epoch_end(self, epoch, logs):
        value = self.tracker.value(logs)
        if self.tracker.improved(value):
            self.tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: copy.deepcopy(v._data) for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self):
        if self.restore_best_weights and self.best_state is not None:
            with no_grad():
                for name, tensor in self.trainer.model.state_dict().items():
                    tensor._data[...] = self.best_state[name]


class ModelCheckpoint(Callback):
    """Saves the model's state_dict (safetensors) to `path` after each epoch, or only when
    `monitor` improves (save_best_only=True). `path` may contain {epoch} and logged names. In a
    fit on several ranks, rank 0 writes the file and every rank waits for it (a barrier)."""

    def __init__(self, path, monitor="val_loss", save_best_only=True, mode="auto"):
        self.path = str(path)
        self.tracker = _Monitor(monitor, mode, 0.0)
        self.save_best_only = save_best_only

    def on_epoch_end(self, epoch, logs):
        from fastnn.io import save

        improved = True
        if self.save_best_only:
            value = self.tracker.value(logs)
            improved = self.tracker.improved(value)
            if improved:
                self.tracker.best = value
        distributed = getattr(self.trainer, "distributed", False)
        if improved and (not distributed or self.trainer.rank == 0):  # on several ranks: rank 0 writes
            save(self.trainer.model.state_dict(), self.path.format(epoch=epoch + 1, **logs))
        if distributed:  # ...and the others wait until the file is there
            import fastnn.distributed as dist

            dist.barrier()


class LRSchedulerCallback(Callback):
    """Steps a learning-rate scheduler after every epoch (ReduceLROnPlateau gets `monitor`)."""

    def __init__(self, scheduler, monitor="val_loss"):
        self.scheduler = scheduler
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs):
        if hasattr(self.scheduler, "num_bad_epochs"):  # ReduceLROnPlateau steps on a metric
            self.scheduler.step(logs.get(self.monitor, logs.get("loss")))
        else:
            self.scheduler.step()
