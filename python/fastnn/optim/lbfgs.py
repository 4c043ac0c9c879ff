"""L-BFGS with an optional strong-Wolfe line search (torch.optim.LBFGS).

All parameters are handled as one flat vector x (their concatenation, in parameter order), and
the gradient g likewise. One step(closure) runs up to max_iter iterations of

    d = -H g   (two-loop recursion over the last history_size pairs s = x_{k+1} - x_k,
                y = g_{k+1} - g_k with y.s > 1e-10, H0 = (y.s / y.y) I)
    x = x + t d

with t = lr, except on the very first iteration (t = min(1, 1 / |g|_1) lr), or t chosen by a
strong-Wolfe line search (bracketing, then zooming with safeguarded cubic interpolation;
c1 = 1e-4, c2 = 0.9). Iterations stop at max_iter, after max_eval closure calls, when
max|g| <= tolerance_grad, or when the step or the loss change falls below tolerance_change.
The arithmetic is NumPy's in the parameters' dtype, in the order PyTorch's implementation uses,
so trajectories agree with it (to rounding); the state has PyTorch's keys ('func_evals',
'n_iter', 'd', 't', 'old_dirs', 'old_stps', 'ro', 'H_diag', 'prev_flat_grad', 'prev_loss',
'al'), kept under the first parameter.
"""
import math
import numbers

from fastnn import _backend
from fastnn.autograd.engine import enable_grad
from fastnn.optim.optimizer import Optimizer, check_number
from fastnn.tensor import Tensor

_C1, _C2, _MAX_LINE_SEARCH = 1e-4, 0.9, 25
_CURVATURE_FLOOR = 1e-10  # pairs with y.s at or below this are not kept
_ARRAY_STATE = ("d", "H_diag", "prev_flat_grad")
_LIST_STATE = ("old_dirs", "old_stps", "ro")


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
    `bounds` (default: the interval between x1 and x2); the middle of the bounds when the cubic
    has no real minimiser."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    discriminant = d1 ** 2 - g1 * g2
    if discriminant < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(discriminant)
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


class _Point:
    """A trial step t of the line search: the loss f, the gradient g and the slope g.d there."""
    __slots__ = ("t", "f", "g", "slope")

    def __init__(self, t, f, g, slope):
        self.t, self.f, self.g, self.slope = t, f, g, slope


def _strong_wolfe(evaluate, direction, t, start, tolerance_change, max_evals):
    """(loss, gradient, t, evaluations) at a step t along `direction` that satisfies the strong
    Wolfe conditions f(t) <= f(0) + c1 t f'(0) and |f'(t)| <= -c2 f'(0), or the best step found
    within max_evals evaluations. `evaluate(t)` returns (loss, gradient) at x + t direction;
    `start` is the point t = 0."""
    d_max = float(abs(direction).max())

    def armijo_fails(point):
        return point.f > start.f + _C1 * point.t * start.slope

    def curvature_met(point):
        return abs(point.slope) <= -_C2 * start.slope

    def trial(step):
        f, g = evaluate(step)
        return _Point(step, f, g, g.dot(direction))

    # Bracketing: grow t until [previous, current] holds a point that meets both conditions.
    previous, current = start, trial(t)
    evals, done = 1, False
    while evals - 1 < max_evals:
        if armijo_fails(current) or (evals > 2 and current.f >= previous.f):
            bracket = [previous, current]
            break
        if curvature_met(current):
            bracket, done = [current], True
            break
        if current.slope >= 0:
            bracket = [previous, current]
            break
        step = _cubic_minimum(previous.t, previous.f, previous.slope, current.t, current.f, current.slope,
                              bounds=(current.t + 0.01 * (current.t - previous.t), current.t * 10))
        previous, current = current, trial(step)
        evals += 1
    else:
        bracket = [start, current]

    # Zoom: shrink the bracket by safeguarded cubic interpolation.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient_progress = False
    while not done and evals - 1 < max_evals:
        if abs(bracket[1].t - bracket[0].t) * d_max < tolerance_change:
            break
        step = _cubic_minimum(bracket[0].t, bracket[0].f, bracket[0].slope, bracket[1].t, bracket[1].f,
                              bracket[1].slope)
        left, right = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:  # too close to an end: move it inside, or accept once
            if insufficient_progress or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        current = trial(step)
        evals += 1
        if armijo_fails(current) or current.f >= bracket[low].f:
            bracket[high] = current
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature_met(current):
                done = True
            elif current.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = current
    best = bracket[low]
    return best.f, best.g, best.t, evals


class LBFGS(Optimizer):
    """L-BFGS (torch.optim.LBFGS); step(closure) needs a closure that zeroes the gradients,
    recomputes the loss, calls backward and returns the loss. One parameter group only."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_number(lr, "lr", "learning rate")
        for name, value in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if isinstance(max_eval, bool) or not isinstance(max_eval, numbers.Integral) or max_eval < 1:
            raise ValueError(f"max_eval must be a positive integer or None, got {max_eval!r}")
        check_number(tolerance_grad, "tolerance_grad", "tolerance_grad value", low=float("-inf"))
        check_number(tolerance_change, "tolerance_change", "tolerance_change value", low=float("-inf"))
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector x
    def _flat_grad(self):
        pieces = []
        for p in self._params:
            data = p._data
            grad = p.grad
            pieces.append(_backend.xp_for(data).zeros(data.size, data.dtype) if grad is None
                          else grad._data.reshape(-1))
        return _backend.xp_for(pieces[0]).concatenate(pieces)

    def _move(self, t, direction):
        """x = x + t direction, parameter by parameter."""
        offset = 0
        for p in self._params:
            data = p._data
            data += t * direction[offset:offset + data.size].reshape(data.shape)
            offset += data.size

    def _loss(self, closure):
        with enable_grad():
            return closure()

    def _evaluate_at(self, closure, x, t, direction):
        """(loss, flat gradient) at x + t direction; the parameters are x again afterwards."""
        self._move(t, direction)
        loss = float(self._loss(closure))
        grad = self._flat_grad()
        for p, data in zip(self._params, x):
            p._data[...] = data
        return loss, grad

    # ------------------------------------------------------------------------------- step
    def step(self, closure):
        """Runs up to max_iter L-BFGS iterations; returns the closure's first loss."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._loss(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if abs(g).max() <= tolerance_grad:
            return first_loss

        d, H_diag, prev_g = (_array(state.get(name)) for name in _ARRAY_STATE)
        old_dirs, old_stps, ro = ([_array(v) for v in state.get(name, [])] for name in _LIST_STATE)
        t, prev_loss = state.get("t"), state.get("prev_loss")
        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, H_diag = -g, 1
                old_dirs, old_stps, ro = [], [], []
            else:
                y = g - prev_g
                s = d * t
                ys = y.dot(s)
                if ys > _CURVATURE_FLOOR:
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                d = self._two_loop(state, g, old_dirs, old_stps, ro, H_diag, history_size)
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = g.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            if line_search == "strong_wolfe":
                x = [p._data.copy() for p in self._params]
                loss, g, t, step_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(closure, x, step, d), d, t, _Point(0, loss, g, gtd),
                    tolerance_change, max_evals=max_eval - evals)
                self._move(t, d)
                converged = abs(g).max() <= tolerance_grad
            else:
                self._move(t, d)
                step_evals = 0
                if n_iter != max_iter:
                    loss = float(self._loss(closure))
                    g = self._flat_grad()
                    converged = abs(g).max() <= tolerance_grad
                    step_evals = 1
            evals += step_evals
            state["func_evals"] += step_evals
            if (n_iter == max_iter or evals >= max_eval or converged or abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=_tensor(d), t=float(t), old_dirs=[_tensor(v) for v in old_dirs],
                     old_stps=[_tensor(v) for v in old_stps], ro=[_tensor(v) for v in ro], H_diag=_tensor(H_diag),
                     prev_flat_grad=_tensor(prev_g), prev_loss=prev_loss)
        return first_loss

    @staticmethod
    def _two_loop(state, g, old_dirs, old_stps, ro, H_diag, history_size):
        """-H g by the two-loop recursion; the first loop's coefficients are kept in state['al']."""
        al = state.setdefault("al", [None] * history_size)
        q = -g
        for i in range(len(old_dirs) - 1, -1, -1):
            alpha = old_stps[i].dot(q) * ro[i]
            al[i] = _tensor(alpha)
            q += -alpha * old_dirs[i]
        r = q * H_diag
        for i in range(len(old_dirs)):
            beta = old_dirs[i].dot(r) * ro[i]
            r += (_array(al[i]) - beta) * old_stps[i]
        return r


def _array(value):
    """The array inside a state Tensor (state loaded from a state_dict holds Tensors)."""
    return value._data if isinstance(value, Tensor) else value


def _tensor(value):
    """A state entry as PyTorch keeps it: arrays and array scalars as Tensors, numbers as they are."""
    if value is None or isinstance(value, Tensor) or type(value) in (int, float):  # np.float64 is a float
        return value
    return Tensor._wrap(_backend.xp_for(value).asarray(value))
