// Memory read bandwidth, the decode roofline: a vectorizable read-only sum over a 1 GiB buffer (huge
// pages advised), split over `threads` compute threads; best of `reps` passes, in GB/s.
#pragma once

namespace mms::bench {

double read_bandwidth_gbs(int threads, int reps, double gib = 1.0);

}  // namespace mms::bench
