// Memory read bandwidth, the decode roofline (BENCHMARKS.md): a read-only vectorized sum with eight
// independent accumulators over a 1 GiB buffer (2 MiB aligned, madvise(MADV_HUGEPAGE), pages touched
// before timing), on 1 thread and on all compute threads. Reports GB/s (10^9 bytes per second).
//   build/bench/membw_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=false
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <atomic>
#include <cstdint>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "tensor/host_buffer.h"

namespace mms {
namespace {

constexpr size_t kBytes = size_t{1} << 30;

const HostBuffer& buffer() {
  static const HostBuffer buf = [] {
    HostBuffer b(kBytes);  // zero-filled, so every page is resident before the first timing
    float* p = b.as<float>();
    for (size_t i = 0; i < kBytes / 4; i += 1024) p[i] = 1.0f;
    return b;
  }();
  return buf;
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, int64_t n) {
  __m256 a[8];
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

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = state.range(0) == 0 ? compute_threads() : static_cast<int>(state.range(0));
  const float* p = buffer().as<float>();
  const int64_t n = static_cast<int64_t>(kBytes / 4);
  const bool avx2 = cpu_features().avx2;
  const int saved = compute_threads();
  set_compute_threads(threads);
  std::atomic<float> sink{0};
  for (auto _ : state) {
    parallel_for(n / 64, 1, [&](int64_t b, int64_t e) {
      const float s = avx2 ? sum_avx2(p + b * 64, (e - b) * 64) : sum_scalar(p + b * 64, (e - b) * 64);
      sink.store(s, std::memory_order_relaxed);
    });
  }
  set_compute_threads(saved);
  benchmark::DoNotOptimize(sink.load());
  state.counters["threads"] = threads;
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(kBytes) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(0)->ArgName("threads(0=all)")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mms

BENCHMARK_MAIN();
