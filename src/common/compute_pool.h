// The one compute pool (DESIGN.md "Threads and memory"): every kernel parallelizes through these calls.
// It is OpenMP's persistent team, so oneDNN (built on OpenMP in Debian) shares the same threads instead
// of starting its own. Calls from inside a parallel region run serially on the calling thread.
// Thread-safety: parallel_for may be called from any one thread at a time per team (the engine's compute
// thread); concurrent callers each get their own team, which oversubscribes the cores: avoid.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace mms {

// Number of compute threads (default: the cores this process may use).
int compute_threads();
// Sets the number of compute threads for later parallel calls (>= 1).
void set_compute_threads(int n);

// Splits [0, n) into contiguous ranges of at least `grain` items, one per thread, and calls
// fn(begin, end) for each. Runs inline when n is small or already inside a parallel region.
template <typename Fn>
void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  const int threads = compute_threads();
  int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || omp_in_parallel()) {
    fn(int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(chunks))
  {
    const int64_t t = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t begin = n * t / nt;
    const int64_t end = n * (t + 1) / nt;
    if (begin < end) fn(begin, end);
  }
}

// Runs fn(thread_index, num_threads) once on each compute thread.
template <typename Fn>
void parallel_run(Fn&& fn) {
  const int threads = compute_threads();
  if (threads <= 1 || omp_in_parallel()) {
    fn(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  { fn(omp_get_thread_num(), omp_get_num_threads()); }
}

}  // namespace mms
