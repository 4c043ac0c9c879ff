// Softmax, log-softmax and the fused cross-entropy loss, forward and backward.
//
// softmax / log_softmax over one axis of a contiguous array viewed as [outer, dim, inner]:
//   y = exp(x - max) / sum(exp(x - max))        log: y = x - max - log(sum(exp(x - max)))
// Backward from the saved output y:
//   softmax: dx = y * (dy - sum(dy * y))        log: dx = dy - exp(y) * sum(dy)
//
// Cross-entropy on logits [N, C] (row-major), as torch.nn.functional.cross_entropy defines it,
// with lp = log_softmax(logits) saved for backward, w_c the class weights (1 when none), eps the
// label smoothing:
//   class indices t_i:  l_i = (1 - eps) w_{t_i} (-lp_{i,t_i}) + eps / C * sum_c w_c (-lp_{i,c}),
//                       l_i = 0 where t_i == ignore_index;
//                       mean = (1 - eps) sum_i w_{t_i} (-lp_{i,t_i}) / sum_i w_{t_i}
//                            + eps / C * sum_i sum_c w_c (-lp_{i,c}) / D,
//                       the sums over non-ignored rows, D = sum_i w_{t_i} with weights, else
//                       the number of non-ignored rows (PyTorch >= 2.1; older versions used N).
//   probabilities q:    l_i = -sum_c w_c q'_{i,c} lp_{i,c},  q' = (1 - eps) q + eps / C;  mean = sum_i l_i / N.
//   sum = sum_i l_i; none = the l_i. Mean over no counted rows is 0/0 = NaN, like PyTorch.
// Backward, with p = exp(lp) and g the upstream gradient (one number, or g_i for none):
//   class indices: dx_{i,c} = (a_i + b_i W) p_{i,c} - a_i [c == t_i] - b_i w_c,  W = sum_c w_c,
//                  a_i = g (1 - eps) w_{t_i} / sum_i w_{t_i}, b_i = g eps / C / D (mean; sum: no division)
//   probabilities: dx_{i,c} = s_i (sum_k w_k q'_{i,k}) p_{i,c} - s_i w_c q'_{i,c},  s_i = g / N (mean).
// Per-row terms are summed in double, in row order, on one thread: the loss does not depend on
// the thread count. Class indices must be valid (0 <= t < C or ignore_index): bindings check.
#pragma once
#include <cstdint>

namespace fastnn::cpu {

template <class T>
void softmax_forward(T* y, const T* x, int64_t outer, int64_t dim, int64_t inner, bool log);

template <class T>
void softmax_backward(T* dx, const T* dy, const T* y, int64_t outer, int64_t dim, int64_t inner, bool log);

enum class Reduction { none = 0, mean = 1, sum = 2 };

template <class T>
struct CrossEntropyOptions {
  const T* weight = nullptr;  // [C] or null
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  Reduction reduction = Reduction::mean;
};

// loss: [1] (mean, sum) or [N] (none). log_probs: [N, C], written for backward.
template <class T>
void cross_entropy_forward(T* loss, T* log_probs, const T* logits, const int64_t* target, int64_t n, int64_t c,
                           const CrossEntropyOptions<T>& opt);
// grad_loss: [1] (mean, sum) or [N] (none). grad_logits: [N, C].
template <class T>
void cross_entropy_backward(T* grad_logits, const T* grad_loss, const T* log_probs, const int64_t* target, int64_t n,
                            int64_t c, const CrossEntropyOptions<T>& opt);

// The same with probability targets [N, C] (ignore_index does not apply).
template <class T>
void cross_entropy_prob_forward(T* loss, T* log_probs, const T* logits, const T* target, int64_t n, int64_t c,
                                const CrossEntropyOptions<T>& opt);
template <class T>
void cross_entropy_prob_backward(T* grad_logits, const T* grad_loss, const T* log_probs, const T* target, int64_t n,
                                 int64_t c, const CrossEntropyOptions<T>& opt);

}  // namespace fastnn::cpu
