"""Classification losses: fused cross-entropy (log-softmax + NLL in one kernel) and NLL."""
from fastnn._backend import kernels_for, xp_for
from fastnn.autograd.engine import Function
from fastnn.errors import IndexOutOfRangeError


class CrossEntropy(Function):
    """Cross-entropy of logits [N, C] against class indices [N] or probabilities [N, C]."""

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, label_smoothing, reduction):
        loss, log_probs = kernels_for(logits).cross_entropy_forward(logits, target, weight, ignore_index,
                                                                    label_smoothing, reduction, None)
        ctx.save_for_backward(log_probs, target, weight)
        ctx.options = (ignore_index, label_smoothing, reduction)
        return loss

    @staticmethod
    def backward(ctx, grad):
        log_probs, target, weight = ctx.saved_tensors
        ignore_index, label_smoothing, reduction = ctx.options
        grad_logits = kernels_for(log_probs).cross_entropy_backward(grad, log_probs, target, weight, ignore_index,
                                                                    label_smoothing, reduction, None)
        return grad_logits, None, None, None, None, None


class NLL(Function):
    """Negative log-likelihood: loss_i = -weight[t_i] * input[i, t_i] for log-probabilities
    input [N, C] and class indices t [N]; ignored targets contribute 0 (and no weight to 'mean')."""

    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        xp = xp_for(log_probs)
        n, classes = log_probs.shape
        kept = target != ignore_index
        bad = kept & ((target < 0) | (target >= classes))
        if bad.any():
            i = int(xp.argmax(bad))
            raise IndexOutOfRangeError(f"target[{i}] = {int(target[i])} is not a class index: expected 0 <= target < "
                             f"C = {classes} or ignore_index = {ignore_index}")
        safe_target = xp.where(kept, target, 0)
        w = xp.ones(classes, log_probs.dtype) if weight is None else weight.astype(log_probs.dtype, copy=False)
        row_weight = w[safe_target] * kept
        losses = -log_probs[xp.arange(n), safe_target] * row_weight
        ctx.save_for_backward(safe_target, row_weight)
        ctx.shape, ctx.reduction = log_probs.shape, reduction
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        ctx.total_weight = row_weight.sum()
        return losses.sum() / ctx.total_weight

    @staticmethod
    def backward(ctx, grad):
        safe_target, row_weight = ctx.saved_tensors
        xp = xp_for(row_weight)
        scale = row_weight if ctx.reduction != "mean" else row_weight / ctx.total_weight
        grad_input = xp.zeros(ctx.shape, row_weight.dtype)
        grad_input[xp.arange(ctx.shape[0]), safe_target] = -scale * grad
        return grad_input, None, None, None, None
