"""SyncBatchNorm, as torch.nn.SyncBatchNorm: batch normalisation whose batch statistics are
those of the whole batch across the ranks of fastnn.distributed (each rank holding a shard).

Forward (training, world size > 1), per channel c over the axes N and the spatial ones:
  count, sum_x          all-reduced (one Allreduce of C + 1 float64)   -> mean
  sum (x - mean)^2      all-reduced (one Allreduce of C float64)       -> var (biased), invstd
  y = (x - mean) * invstd * weight + bias
  running_mean/var updated with the global mean and the unbiased global variance.
Two passes rather than sum and sum of squares: no cancellation when |mean| >> std.
Backward, with xhat = (x - mean) * invstd and N the global count:
  sum_dy, sum_dy_xhat   all-reduced (one Allreduce of 2C)
  dx = weight * invstd * (dy - sum_dy / N - xhat * sum_dy_xhat / N)
  dweight, dbias: this rank's sums (DistributedDataParallel averages them over the ranks).
So the ranks' gradients sum to those of one process normalising the whole batch. In eval mode,
or on a world of one rank, it is BatchNorm (the running statistics, or the local batch). On device
'cuda' the per-channel sums are made on the device and all-reduced through host memory (a few
numbers per channel); the statistics return to the device as x's dtype.
"""
import numpy as np

import fastnn.distributed as dist
from fastnn._backend import device_of, to_device, xp_for
from fastnn.autograd.engine import Function
from fastnn.nn.normalization import _BatchNorm


def _allreduce(array, comm):
    """The sum over the ranks of `array` (a host array, reduced in place)."""
    from mpi4py import MPI

    comm.Allreduce(MPI.IN_PLACE, array, MPI.SUM)
    return array


def _host_sums(x, axes):
    """x summed over `axes` in float64, as a host array."""
    return to_device(x.sum(axis=axes, dtype=np.float64), "cpu")


class _SyncBatchNormFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps, comm):
        channels = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        device, xp = device_of(x), xp_for(x)
        stats = _allreduce(np.append(_host_sums(x, axes), x.size // max(channels, 1)), comm)
        count = stats[-1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape} "
                             f"({int(count)} values per channel over all ranks)")
        mean = stats[:-1] / count
        centered = x - to_device(mean.astype(x.dtype), device).reshape(shape)
        var = _allreduce(_host_sums(xp.square(centered), axes), comm) / count
        invstd = to_device((1.0 / np.sqrt(var + eps)).astype(x.dtype), device)
        xhat = centered * invstd.reshape(shape)
        y = xhat if weight is None else xhat * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * to_device(mean.astype(running_mean.dtype), device)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * to_device((var * count / (count - 1)).astype(running_var.dtype), device)
        ctx.save_for_backward(xhat, weight, invstd)
        ctx.comm, ctx.count, ctx.shape, ctx.axes = comm, count, shape, axes
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        xhat, weight, invstd = ctx.saved_tensors
        needs = ctx.needs_input_grad
        shape, axes = ctx.shape, ctx.axes
        sum_dy = grad.sum(axis=axes)
        sum_dy_xhat = (grad * xhat).sum(axis=axes)
        grad_weight = sum_dy_xhat.copy() if needs[1] else None
        grad_bias = sum_dy.copy() if needs[2] else None
        grad_x = None
        if needs[0]:
            channels = sum_dy.shape[0]
            sums = np.concatenate([to_device(sum_dy, "cpu"), to_device(sum_dy_xhat, "cpu")])
            total = to_device((_allreduce(sums, ctx.comm) / ctx.count).astype(grad.dtype), device_of(grad))
            scale = invstd if weight is None else invstd * weight
            grad_x = (grad - total[:channels].reshape(shape)
                      - xhat * total[channels:].reshape(shape)) * scale.reshape(shape)
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over [N, C, ...] input with the batch statistics of all ranks (see the
    module docstring); PyTorch's arguments and state_dict keys (those of BatchNorm)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        dist._check_group(process_group)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input):
        if not self.training or not dist.is_initialized() or dist.get_world_size() == 1:
            return super().forward(input)
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"expected input with {self.num_features} channels (dimension 1), got input of shape "
                             f"{tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            factor = 1.0 / float(self.num_batches_tracked._data) if self.momentum is None else self.momentum
        running_mean = self.running_mean._data if self.track_running_stats else None
        running_var = self.running_var._data if self.track_running_stats else None
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean, running_var, factor,
                                            self.eps, dist._communicator())

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm layer replaced by a SyncBatchNorm that shares its
        parameters and buffers (the module itself when it is one; others are changed in place)."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if name in module._parameters:
                    converted.register_parameter(name, module._parameters[name])
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted.register_buffer(name, module._buffers[name])
            converted.train(module.training)
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
