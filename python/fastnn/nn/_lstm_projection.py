"""One direction of an LSTM layer with a projection (LSTM(proj_size=P)), composed of Tensor ops:

    gates_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (W_hh [4H, P]; gate order i, f, g, o)
    c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),  h_t = (sigmoid(o) tanh(c_t)) W_hr^T   (W_hr [P, H])

Composed rather than a kernel: the fused LSTM kernel's recurrence multiplies by a square
W_hh [4H, H] on h of size H inside its time loop (forward and backward); a projection needs a
second GEMM per step in both, which the composition gives exactly (autograd differentiates
it) at the cost of per-step Python dispatch. The input projection of all steps is one matmul.
"""
from fastnn import creation, functions


def projected_lstm_direction(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, reverse):
    """x [T, B, I], h0 [B, P], c0 [B, H] (None: zeros) -> (y [T, B, P], h_n [B, P], c_n [B, H])."""
    steps, batch = x.shape[0], x.shape[1]
    hidden, proj = weight_hr.shape[1], weight_hr.shape[0]
    inputs = x @ weight_ih.T
    if bias_ih is not None:
        inputs = inputs + (bias_ih + bias_hh)
    h = h0 if h0 is not None else creation.zeros(batch, proj, dtype=x.dtype, device=x.device)
    c = c0 if c0 is not None else creation.zeros(batch, hidden, dtype=x.dtype, device=x.device)
    outputs = [None] * steps
    for t in (reversed(range(steps)) if reverse else range(steps)):
        gates = inputs[t] + h @ weight_hh.T
        i = gates[:, :hidden].sigmoid()
        f = gates[:, hidden:2 * hidden].sigmoid()
        g = gates[:, 2 * hidden:3 * hidden].tanh()
        o = gates[:, 3 * hidden:].sigmoid()
        c = f * c + i * g
        h = (o * c.tanh()) @ weight_hr.T
        outputs[t] = h
    return functions.stack(outputs, dim=0), h, c
