// Memory read bandwidth, the decode roofline (BENCHMARKS.md): a read-only vectorized sum with eight
// independent accumulators over a 1 GiB buffer (huge pages advised, pages touched before timing), on 1
// thread and on all compute threads; best of N passes, GB/s (10^9 bytes per second).
//   build/benchmarks/membw_bench [reps]
#include <cstdio>
#include <cstdlib>

#include "benchmarks/membw.h"
#include "common/compute_pool.h"

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  const int n = mms::compute_threads();
  std::printf("read bandwidth, 1 thread:  %.1f GB/s\n", mms::bench::read_bandwidth_gbs(1, reps));
  std::printf("read bandwidth, %d threads: %.1f GB/s\n", n, mms::bench::read_bandwidth_gbs(n, reps));
  return 0;
}
