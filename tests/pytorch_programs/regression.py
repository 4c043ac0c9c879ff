"""PyTorch's polynomial regression example, written again: features x^1..x^4 by torch.cat, a
Linear layer, smooth_l1_loss, and a hand-written gradient step on param.data."""
import fastnn as torch
import fastnn.nn.functional as F

POLY_DEGREE = 4
W_target = torch.randn(POLY_DEGREE, 1) * 5
b_target = torch.randn(1) * 5


def make_features(x):
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def get_batch(batch_size=32):
    random = torch.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


def main(tmp_dir):
    torch.manual_seed(0)
    fc = torch.nn.Linear(W_target.size(0), 1)
    for batch_idx in range(1, 2001):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        if loss < 1e-3:
            break
    print('Loss: {:.6f} after {} batches'.format(loss, batch_idx))
    return {"loss": loss, "batches": batch_idx}
