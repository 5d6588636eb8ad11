// Memory read bandwidth, the decode roofline: a vectorizable read-only sum over a 1 GiB buffer (huge
// pages advised), split over `threads` compute threads; best of `reps` passes, in GB/s.
#pragma once

#include <cstdint>

namespace mms::bench {

double read_bandwidth_gbs(int threads, int reps, double gib = 1.0);

// Sum of n floats (n a multiple of 64, p 32-byte aligned) with eight independent accumulators (AVX2
// when present): the read loop both benchmarks time. One thread.
float sum_floats(const float* p, int64_t n);

}  // namespace mms::bench
