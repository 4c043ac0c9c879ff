#include "core/parallel.h"

#include <stdexcept>

namespace fastnn {

static int initial_num_threads() { return std::max(1, omp_get_max_threads()); }

static int thread_count = initial_num_threads();

int num_threads() { return thread_count; }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
  thread_count = n;
}

}  // namespace fastnn
