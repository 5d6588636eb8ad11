#include "common/compute_pool.h"

#include <sched.h>

#include <atomic>

namespace mms {
namespace {
int default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max(1, omp_get_num_procs());
}
std::atomic<int> g_threads{0};
}  // namespace

int compute_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = default_threads();
    g_threads.store(n);
  }
  return n;
}

void set_compute_threads(int n) { g_threads.store(std::max(1, n)); }

}  // namespace mms
