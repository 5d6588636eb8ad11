// Memory read bandwidth, the decode roofline (BENCHMARKS.md): a read-only vectorized sum with eight
// independent accumulators over a 1 GiB buffer (2 MiB aligned, madvise(MADV_HUGEPAGE), pages touched
// before timing), on 1 thread and on all compute threads. Reports GB/s (10^9 bytes per second).
// BM_GemvVsRoofline alternates, in every iteration, that sum and the decode matmul (M = 1, bf16 weights
// of the lm_head's shape) over the same 272 MB buffer, so that both see the same machine load (shared
// machines are noisy) and their ratio is meaningful.
//   build/benchmarks/membw_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "benchmarks/membw.h"
#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "kernels/matmul.h"
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

// Sums n floats (n a multiple of 64) over the compute pool.
float parallel_sum(const float* p, int64_t n) {
  std::atomic<float> sink{0};
  parallel_for(n / 64, 1, [&](int64_t b, int64_t e) {
    const float s = bench::sum_floats(p + b * 64, (e - b) * 64);
    sink.store(s, std::memory_order_relaxed);
  });
  return sink.load();
}

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = state.range(0) == 0 ? compute_threads() : static_cast<int>(state.range(0));
  const float* p = buffer().as<float>();
  const int saved = compute_threads();
  set_compute_threads(threads);
  for (auto _ : state) benchmark::DoNotOptimize(parallel_sum(p, static_cast<int64_t>(kBytes / 4)));
  set_compute_threads(saved);
  state.counters["threads"] = threads;
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(kBytes) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(0)->ArgName("threads(0=all)")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_GemvVsRoofline(benchmark::State& state) {
  const int threads = state.range(0) == 0 ? compute_threads() : static_cast<int>(state.range(0));
  const int64_t N = 151936, K = 896;  // Qwen2.5-0.5B lm_head, bf16: 272 MB, larger than any L3
  const size_t bytes = static_cast<size_t>(N * K) * 2;
  HostBuffer w(bytes);
  for (size_t i = 0; i < bytes / 2; ++i) w.as<uint16_t>()[i] = static_cast<uint16_t>(0x3c00 + (i * 7919) % 512);
  const Tensor weight(w.data(), DType::kBF16, {N, K});
  std::vector<float> x(K, 0.5f), y(N);
  const int saved = compute_threads();
  set_compute_threads(threads);
  using Clock = std::chrono::steady_clock;
  double t_sum = 0, t_gemv = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(parallel_sum(w.as<float>(), static_cast<int64_t>(bytes / 4 / 64 * 64)));
    const auto t1 = Clock::now();
    kernels::matmul(x.data(), 1, weight, nullptr, y.data());
    const auto t2 = Clock::now();
    t_sum += std::chrono::duration<double>(t1 - t0).count();
    t_gemv += std::chrono::duration<double>(t2 - t1).count();
  }
  set_compute_threads(saved);
  const double gb = static_cast<double>(bytes) * state.iterations() / 1e9;
  state.counters["threads"] = threads;
  state.counters["sum GB/s"] = gb / t_sum;
  state.counters["gemv GB/s"] = gb / t_gemv;
  state.counters["gemv/sum"] = t_sum / t_gemv;
}
BENCHMARK(BM_GemvVsRoofline)->Arg(1)->Arg(0)->ArgName("threads(0=all)")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mms

BENCHMARK_MAIN();
