#include "benchmarks/membw.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "tensor/host_buffer.h"

namespace mms::bench {

namespace {

__attribute__((target("avx2"))) float sum_avx2(const float* p, int64_t n) {
  __m256 a[8];  // eight independent accumulators: one dependency chain reaches only half the bandwidth
  for (auto& v : a) v = _mm256_setzero_ps();
  for (int64_t i = 0; i + 64 <= n; i += 64)
    for (int j = 0; j < 8; ++j) a[j] = _mm256_add_ps(a[j], _mm256_load_ps(p + i + 8 * j));
  for (int j = 1; j < 8; ++j) a[0] = _mm256_add_ps(a[0], a[j]);
  alignas(32) float out[8];
  _mm256_store_ps(out, a[0]);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

float sum_scalar(const float* p, int64_t n) {
  float a[8] = {};
  for (int64_t i = 0; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) a[j] += p[i + j];
  return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

}  // namespace

float sum_floats(const float* p, int64_t n) { return cpu_features().avx2 ? sum_avx2(p, n) : sum_scalar(p, n); }

double read_bandwidth_gbs(int threads, int reps, double gib) {
  const int64_t n = static_cast<int64_t>(gib * (1 << 30)) / 4 / 1024 * 1024;
  HostBuffer buf(static_cast<size_t>(n) * 4);  // zeroed: every page is touched before timing
  const float* p = buf.as<float>();
  const int saved = compute_threads();
  set_compute_threads(threads);
  double best = 0;
  volatile float sink = 0;
  for (int r = 0; r < reps + 1; ++r) {  // first pass warms up
    float partial[256] = {};
    auto t0 = std::chrono::steady_clock::now();
    parallel_run([&](int t, int nt) {
      const int64_t chunk = n / nt / 64 * 64;
      const int64_t b = chunk * t;
      const int64_t e = t == nt - 1 ? n : b + chunk;
      partial[t] = sum_floats(p + b, e - b);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (int t = 0; t < threads; ++t) sink = sink + partial[t];
    if (r > 0) best = std::max(best, static_cast<double>(n) * 4 / s / 1e9);
  }
  set_compute_threads(saved);
  return best;
}

}  // namespace mms::bench
