"""Recurrent layers as autograd Functions: one node per layer and direction for a whole sequence
(LSTMLayer, GRULayer, RNNLayer over x [T, B, I]) and one per cell step (LSTMCell, GRUCell,
RNNCell over x [B, I]). Each forward is one kernel call that returns what backward needs (the
gates, the cell states); each backward is one kernel call. Formulas: csrc/cpu/rnn.h.

Forward arguments: x, h0 (and c0 for LSTM) or None for zeros, then weight_ih, weight_hh,
bias_ih, bias_hh (both None without bias); `reverse` and `nonlinearity` are keyword options.
Sequences return (y [T, B, H], h_n[, c_n]); cells
return h1 (LSTM: (h1, c1)).
"""
from fastnn._backend import kernels_for
from fastnn.autograd.engine import Function


def _last(y, reverse):
    """The final hidden state of a direction: y[T-1] forwards, y[0] in reverse (a copy, so the
    outputs never share memory)."""
    return y[0 if reverse else -1].copy()


class LSTMLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse=False):
        y, cell, gates = kernels_for(x).lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, y, cell, gates)
        ctx.reverse = reverse
        return y, _last(y, reverse), _last(cell, reverse)

    @staticmethod
    def backward(ctx, grad_y, grad_h_n, grad_c_n):
        x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, y, cell, gates = ctx.saved_tensors
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = kernels_for(x).lstm_backward(
            grad_y, grad_h_n, grad_c_n, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, y, cell, gates,
            ctx.reverse, ctx.needs_input_grad[0])
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


class GRULayer(Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse=False):
        y, gates = kernels_for(x).gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y, gates)
        ctx.reverse = reverse
        return y, _last(y, reverse)

    @staticmethod
    def backward(ctx, grad_y, grad_h_n):
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y, gates = ctx.saved_tensors
        return kernels_for(x).gru_backward(grad_y, grad_h_n, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y, gates,
                                           ctx.reverse, ctx.needs_input_grad[0])


class RNNLayer(Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh", reverse=False):
        y = kernels_for(x).rnn_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity, reverse)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y)
        ctx.nonlinearity, ctx.reverse = nonlinearity, reverse
        return y, _last(y, reverse)

    @staticmethod
    def backward(ctx, grad_y, grad_h_n):
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y = ctx.saved_tensors
        return kernels_for(x).rnn_backward(grad_y, grad_h_n, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, y,
                                           ctx.nonlinearity, ctx.reverse, ctx.needs_input_grad[0])


class LSTMCell(Function):
    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        h1, c1, gates = kernels_for(x).lstm_cell_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, c1, gates)
        return h1, c1

    @staticmethod
    def backward(ctx, grad_h1, grad_c1):
        x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, c1, gates = ctx.saved_tensors
        return kernels_for(x).lstm_cell_backward(grad_h1, grad_c1, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh,
                                                 c1, gates, ctx.needs_input_grad[0])


class GRUCell(Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
        h1, gates = kernels_for(x).gru_cell_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, gates)
        return h1

    @staticmethod
    def backward(ctx, grad_h1):
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, gates = ctx.saved_tensors
        return kernels_for(x).gru_cell_backward(grad_h1, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, gates,
                                                ctx.needs_input_grad[0])


class RNNCell(Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
        h1 = kernels_for(x).rnn_cell_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, h1)
        ctx.nonlinearity = nonlinearity
        return h1

    @staticmethod
    def backward(ctx, grad_h1):
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, h1 = ctx.saved_tensors
        return kernels_for(x).rnn_cell_backward(grad_h1, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, h1,
                                                ctx.nonlinearity, ctx.needs_input_grad[0])
