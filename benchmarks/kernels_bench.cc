// Kernel benchmarks (not tests): matmul at the Qwen2.5-0.5B shapes for decode (M = 1, 8) and prefill
// (M = 64, 512) in bf16 and f32, the GEMV/GEMM crossover, paged attention, and the elementwise ops.
// Weights are rotated through copies totalling >= 256 MiB so that every call reads them from DRAM, as
// decode does (the whole model does not fit in L3). Counters: GB/s of weight bytes read, GFLOP/s.
//   build/benchmarks/kernels_bench --benchmark_filter=Matmul --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/variants.h"
#include "tensor/host_buffer.h"

namespace mms::kernels {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Copies of a random [N, K] weight in `dtype`, enough of them to defeat the caches.
struct ColdWeights {
  std::vector<HostBuffer> copies;
  std::vector<Tensor> tensors;
  size_t bytes = 0;
  // `tiles`: each copy rearranged into Layout::kTiles16x32, as kernels::prepare_weight does at load.
  ColdWeights(DType dtype, int64_t N, int64_t K, bool tiles = false) {
    bytes = static_cast<size_t>(N * K) * dtype_size(dtype);
    const size_t n_copies = std::max<size_t>(1, (size_t{256} << 20) / bytes + 1);
    const auto values = random_vector(static_cast<size_t>(std::min<int64_t>(N * K, 1 << 20)), 1);
    for (size_t c = 0; c < n_copies; ++c) {
      HostBuffer buf(bytes);
      for (int64_t i = 0; i < N * K; ++i) {
        const float v = values[static_cast<size_t>(i) % values.size()];
        if (dtype == DType::kF32) buf.as<float>()[i] = v;
        else buf.as<uint16_t>()[i] = dtype == DType::kBF16 ? f32_to_bf16(v) : f32_to_f16(v);
      }
      tensors.emplace_back(buf.data(), dtype, Shape{N, K});
      if (tiles) {
        HostBuffer tiled(bytes);
        tensors.back() = cpu::to_tiles(tensors.back(), tiled.data());
        buf = std::move(tiled);
      }
      copies.push_back(std::move(buf));
    }
  }
};

using MatmulFn = void (*)(const float*, int64_t, const Tensor&, const float*, float*);

void run_matmul(benchmark::State& state, MatmulFn fn, DType dtype, bool tiles = false) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  ColdWeights w(dtype, N, K, tiles);
  const auto x = random_vector(static_cast<size_t>(M * K), 2);
  const auto bias = random_vector(static_cast<size_t>(N), 3);
  std::vector<float> y(static_cast<size_t>(M * N));
  size_t i = 0;
  fn(x.data(), M, w.tensors[0], bias.data(), y.data());  // warm-up (oneDNN JIT, thread pool)
  for (auto _ : state) {
    fn(x.data(), M, w.tensors[i++ % w.tensors.size()], bias.data(), y.data());
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.bytes) * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * M * N * K * iters / 1e9, benchmark::Counter::kIsRate);
}

// The dispatched matmul (best variant on this CPU).
void BM_Matmul_bf16(benchmark::State& s) { run_matmul(s, matmul, DType::kBF16); }
void BM_Matmul_f32(benchmark::State& s) { run_matmul(s, matmul, DType::kF32); }

void qwen_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  for (int64_t M : {1, 8, 64, 512})
    for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{896, 896}, {128, 896}, {4864, 896}, {896, 4864},
                                                                 {151936, 896}})
      if (!(M == 512 && N == 151936)) b->Args({M, N, K});  // lm_head runs on the last token only
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_Matmul_bf16)->Apply(qwen_shapes);
BENCHMARK(BM_Matmul_f32)->Apply(qwen_shapes);

// Qwen2.5-VL-3B vision tower shapes (width 1280, MLP 3420): row chunks of 112..1792 patch rows.
void vision_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  for (int64_t M : {112, 448, 1792})
    for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{3840, 1280}, {3420, 1280}, {1280, 3420}})
      b->Args({M, N, K});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Matmul_bf16)->Name("BM_Matmul_bf16_vision")->Apply(vision_shapes);

// The library's own f32 peak under our threading: a large square GEMM through the oneDNN path.
BENCHMARK(BM_Matmul_f32)->Args({2048, 2048, 2048})->ArgNames({"M", "N", "K"})->UseRealTime()->Unit(benchmark::kMillisecond);

// GEMV kernel vs oneDNN at the same M, to place kGemvMaxRows (AVX2 machines).
void gemm_dnnl(const float* x, int64_t M, const Tensor& w, const float* b, float* y) {
  cpu::matmul_gemm_dnnl(x, M, w, b, y, &cpu::avx2::convert_rows_to_f32, false);
}
void gemm_dnnl_bf16(const float* x, int64_t M, const Tensor& w, const float* b, float* y) {
  cpu::matmul_gemm_dnnl(x, M, w, b, y, &cpu::avx2::convert_rows_to_f32, true);
}
void BM_Gemv_avx2_bf16(benchmark::State& s) { run_matmul(s, cpu::avx2::gemv, DType::kBF16); }
void BM_Gemm_dnnl_bf16(benchmark::State& s) { run_matmul(s, gemm_dnnl, DType::kBF16); }
void BM_Gemv_avx2_f32(benchmark::State& s) { run_matmul(s, cpu::avx2::gemv, DType::kF32); }
void BM_Gemm_dnnl_f32(benchmark::State& s) { run_matmul(s, gemm_dnnl, DType::kF32); }
void crossover(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  for (int64_t M : {8, 12, 16, 24, 32}) b->Args({M, 4864, 896});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_Gemv_avx2_bf16)->Apply(crossover);
BENCHMARK(BM_Gemm_dnnl_bf16)->Apply(crossover);
BENCHMARK(BM_Gemv_avx2_f32)->Apply(crossover);
BENCHMARK(BM_Gemm_dnnl_f32)->Apply(crossover);

// The roofline of a weight-streaming kernel: read W once (AVX-512 loads, 4 sums per thread) over the pool.
__attribute__((target("avx512f"))) float sum_bytes(const char* p, const char* end) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (; p < end; p += 256) {
    a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p));
    a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + 64));
    a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + 128));
    a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + 192));
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  return lanes[0] + lanes[15];  // any use of the sums keeps the loads
}
void read_weights(const float*, int64_t M, const Tensor& w, const float*, float* y) {
  const auto* bytes = static_cast<const char*>(w.data);
  const int64_t n = w.numel() * static_cast<int64_t>(dtype_size(w.dtype)) / 256;
  parallel_for(n, 1024, [&](int64_t b, int64_t e) { y[b % (M * w.dim(0))] = sum_bytes(bytes + b * 256, bytes + e * 256); });
}

// The bf16-weight matmul kernels side by side, interleaved shape by shape so that each A/B sees the same
// machine state, each over the M it serves or competes for: the memory roofline (read_w: the same weight
// bytes read and summed), the f32 GEMV (converts every weight; the M = 1 path of row-major weights), the
// AVX512-BF16 GEMV (vdpbf16ps), oneDNN's f32 GEMM (bf16 weights converted to f32) and bf16 GEMM
// (dnnl_gemm_bf16bf16f32: AMX where usable, avx512_core_bf16 otherwise), and the AMX matmul on tile-layout
// weights (tdpbf16ps; exact f32 at M = 1). M = 8-24 places the GEMV/GEMM crossover (kGemvMaxRows).
// Kernels the CPU lacks are skipped.
//   build/benchmarks/kernels_bench --benchmark_filter=Bf16Matmul
void register_bf16_matmuls() {
  struct Impl {
    const char* name;
    MatmulFn fn;
    bool ok;
    int64_t min_m, max_m;
    bool tiles = false;
  };
  const Impl impls[] = {{"read_w", read_weights, cpu_features().has_avx512(), 1, 16},
                        {"f32fma", cpu::avx512::matmul, cpu_features().has_avx512(), 1, 16},
                        {"dp", cpu::avx512::gemv_bf16_dp, cpu_features().avx512_bf16, 2, 24},
                        {"f32_dnnl", gemm_dnnl, cpu_features().has_avx512(), 8, 512},
                        {"dnnl", gemm_dnnl_bf16, cpu_features().avx512_bf16, 8, 512},
                        {"amx_tiles", cpu::avx512::matmul_amx_tiles, cpu_features().amx_usable, 1, 512, true}};
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{896, 896}, {4864, 896}, {896, 4864}, {151936, 896}};
  for (int64_t M : {1, 2, 8, 12, 16, 24, 64, 512})
    for (auto [N, K] : shapes)
      for (const Impl& impl : impls) {
        if (!impl.ok || M < impl.min_m || M > impl.max_m || (M == 512 && N == 151936)) continue;  // lm_head: last token
        const std::string name = "BM_Bf16Matmul/" + std::string(impl.name) + "/M:" + std::to_string(M) +
                                 "/N:" + std::to_string(N) + "/K:" + std::to_string(K);
        benchmark::RegisterBenchmark(name.c_str(), [fn = impl.fn, tiles = impl.tiles](benchmark::State& s) {
          run_matmul(s, fn, DType::kBF16, tiles);
        })->Args({M, N, K})->UseRealTime()->Unit(benchmark::kMicrosecond);
      }
}

// Paged attention, Qwen2.5-0.5B heads (14 query, 2 KV, head_dim 64), block_size 16, shuffled blocks.
// Args: number of sequences, context length each, query rows each (1 = decode, = context: prefill), KV in
// f16 (1) or f32 (0).
void BM_PagedAttention(benchmark::State& state, const PagedAttentionVariant* v) {
  const int32_t num_seqs = static_cast<int32_t>(state.range(0));
  const int32_t ctx = static_cast<int32_t>(state.range(1));
  const int32_t q_len = static_cast<int32_t>(state.range(2));
  const int32_t n_heads = 14, n_kv = 2, D = 64, bs = 16;
  const int32_t blocks_per_seq = (ctx + bs - 1) / bs;
  const int32_t num_blocks = num_seqs * blocks_per_seq;
  std::vector<int32_t> table(static_cast<size_t>(num_blocks));
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), std::mt19937(4));
  const size_t kv_elems = static_cast<size_t>(num_blocks) * n_kv * bs * D;
  const auto k = random_vector(kv_elems, 5), vv = random_vector(kv_elems, 6);
  const bool f16 = state.range(3) != 0;
  std::vector<uint16_t> k16(f16 ? kv_elems : 0), v16(k16.size());
  for (size_t i = 0; i < k16.size(); ++i) k16[i] = f32_to_f16(k[i]), v16[i] = f32_to_f16(vv[i]);
  std::vector<int32_t> qsl(static_cast<size_t>(num_seqs + 1)), lens(static_cast<size_t>(num_seqs), ctx);
  for (int32_t s = 0; s <= num_seqs; ++s) qsl[s] = s * q_len;
  const int64_t T = static_cast<int64_t>(num_seqs) * q_len;
  const auto q = random_vector(static_cast<size_t>(T * n_heads * D), 7);
  std::vector<float> out(q.size());
  const PagedKvLayer layer{f16 ? static_cast<void*>(k16.data()) : const_cast<float*>(k.data()),
                           f16 ? static_cast<void*>(v16.data()) : const_cast<float*>(vv.data()),
                           f16 ? DType::kF16 : DType::kF32,
                           num_blocks,
                           bs,
                           n_kv,
                           D};
  const AttentionMetadata md{num_seqs, qsl.data(), lens.data(), table.data(), blocks_per_seq};
  for (auto _ : state) v->fn(q.data(), layer, md, n_heads, 0.125f, out.data());
  // Causal FLOPs: QK^T and PV over each query row's visible positions.
  double positions = 0;
  for (int32_t i = 0; i < q_len; ++i) positions += ctx - q_len + i + 1;
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * D * n_heads * positions * num_seqs * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void register_attention() {
  for (const PagedAttentionVariant& v : paged_attention_variants()) {
    if (!v.available()) continue;
    auto* b = benchmark::RegisterBenchmark((std::string("BM_PagedAttention/") + v.name).c_str(), BM_PagedAttention, &v);
    b->ArgNames({"seqs", "ctx", "q", "f16"})->UseRealTime()->Unit(benchmark::kMicrosecond);
    b->Args({1, 1024, 1, 0})->Args({1, 4096, 1, 0})->Args({16, 1024, 1, 0})->Args({8, 192, 1, 0});
    b->Args({8, 192, 1, 1})->Args({16, 1024, 1, 1})->Args({1, 512, 512, 0})->Args({1, 2048, 512, 0});
  }
}

// Vision-tower attention (varlen, bidirectional), Qwen2.5-VL-3B heads (16, head_dim 80). Args: number of
// sequences and rows each: 64-row windows (window layers) or one 1024/4784-row frame (full-attention layers).
void BM_VarlenAttention(benchmark::State& state, const VarlenAttentionVariant* v) {
  const int32_t num_seqs = static_cast<int32_t>(state.range(0));
  const int32_t len = static_cast<int32_t>(state.range(1));
  const int32_t n_heads = 16, D = 80;
  const int64_t rows = int64_t{num_seqs} * len, width = n_heads * D;
  const auto q = random_vector(static_cast<size_t>(rows * width), 14);
  const auto k = random_vector(q.size(), 15), vv = random_vector(q.size(), 16);
  std::vector<float> out(q.size());
  std::vector<int32_t> cu(static_cast<size_t>(num_seqs + 1));
  for (int32_t s = 0; s <= num_seqs; ++s) cu[s] = s * len;
  VarlenAttentionArgs a;
  a.q = q.data(), a.k = k.data(), a.v = vv.data(), a.out = out.data();
  a.q_stride = a.kv_stride = a.out_stride = width;
  a.cu_seqlens_q = a.cu_seqlens_k = cu.data();
  a.num_seqs = num_seqs, a.n_heads = n_heads, a.head_dim = D, a.scale = 0.1118f;
  for (auto _ : state) v->fn(a);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * D * n_heads * len * double(len) * num_seqs *
                                                     state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

void register_varlen_attention() {
  for (const VarlenAttentionVariant& v : varlen_attention_variants()) {
    if (!v.available()) continue;
    auto* b = benchmark::RegisterBenchmark((std::string("BM_VarlenAttention/") + v.name).c_str(), BM_VarlenAttention,
                                           &v);
    b->ArgNames({"seqs", "len"})->UseRealTime()->Unit(benchmark::kMillisecond);
    b->Args({16, 64})->Args({1, 1024});
    if (std::string(v.name) != "ref") b->Args({1, 4784});
  }
}

// Elementwise ops at decode and prefill sizes: dispatched vs ref.
template <typename V, typename Setup>
void register_elementwise(const char* op, std::span<const V> variants, Setup setup) {
  for (const V& v : variants) {
    if (!v.available()) continue;
    auto* b = benchmark::RegisterBenchmark((std::string("BM_") + op + "/" + v.name).c_str(),
                                           [&v, setup](benchmark::State& s) { setup(s, v.fn); });
    b->Arg(1)->Arg(512)->ArgName("T")->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
}

void register_elementwise_all() {
  register_elementwise("RmsNorm", rms_norm_variants(), [](benchmark::State& s, auto fn) {
    const int64_t T = s.range(0), H = 896;
    const auto x = random_vector(static_cast<size_t>(T * H), 8), w = random_vector(static_cast<size_t>(H), 9);
    std::vector<float> y(x.size());
    for (auto _ : s) fn(x.data(), w.data(), T, H, 1e-6f, y.data());
  });
  register_elementwise("SiluMul", silu_mul_variants(), [](benchmark::State& s, auto fn) {
    const int64_t n = s.range(0) * 4864;
    const auto g = random_vector(static_cast<size_t>(n), 10), u = random_vector(static_cast<size_t>(n), 11);
    std::vector<float> y(g.size());
    for (auto _ : s) fn(g.data(), u.data(), n, y.data());
  });
  register_elementwise("Rope", rope_variants(), [](benchmark::State& s, auto fn) {
    const int64_t T = s.range(0), heads = 14, D = 64;
    auto x = random_vector(static_cast<size_t>(T * heads * D), 12);
    std::vector<int32_t> pos(static_cast<size_t>(T));
    std::iota(pos.begin(), pos.end(), 100);
    std::vector<float> inv_freq(D / 2);
    for (int64_t j = 0; j < D / 2; ++j) inv_freq[j] = std::pow(1e6f, -2.f * j / D);
    for (auto _ : s) fn(x.data(), T, heads, D, pos.data(), inv_freq.data(), RopePairing::kNeox);
  });
  register_elementwise("Softmax", softmax_variants(), [](benchmark::State& s, auto fn) {
    const int64_t rows = std::min<int64_t>(s.range(0), 8), cols = 151936;  // sampling over the vocabulary
    const auto x0 = random_vector(static_cast<size_t>(rows * cols), 13);
    auto x = x0;
    for (auto _ : s) fn(x.data(), rows, cols);
  });
}

const bool registered =
    (register_bf16_matmuls(), register_attention(), register_varlen_attention(), register_elementwise_all(), true);

}  // namespace
}  // namespace mms::kernels

BENCHMARK_MAIN();
