// The variant registry (kernels/variants.h) and the public entry points, which run the best variant this
// CPU supports; the choice is made once, at first use of each op.
#include "common/cpu_features.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/variants.h"

namespace mms::kernels {
namespace {

bool always() { return true; }
bool has_avx2() { return cpu_features().has_avx2_fma(); }
bool has_avx512() { return cpu_features().has_avx512() && cpu_features().has_avx2_fma(); }
bool has_amx() { return has_avx512() && cpu_features().amx_usable; }
bool has_avx512_bf16() { return has_avx512() && cpu_features().avx512_bf16; }

constexpr MatmulVariant kMatmul[] = {
    {"amx_bf16", has_amx, cpu::avx512::matmul_bf16, /*bf16_compute=*/true, /*takes_tiles=*/true},
    {"avx512_bf16", has_avx512_bf16, cpu::avx512::matmul_bf16, /*bf16_compute=*/true, /*takes_tiles=*/false},
    {"avx512", has_avx512, cpu::avx512::matmul},
    {"avx2", has_avx2, cpu::avx2::matmul},
    {"ref", always, ref::matmul},
};
constexpr RmsNormVariant kRmsNorm[] = {{"avx2", has_avx2, cpu::avx2::rms_norm}, {"ref", always, ref::rms_norm}};
constexpr RopeVariant kRope[] = {{"avx2", has_avx2, cpu::avx2::rope}, {"ref", always, ref::rope}};
constexpr RopeMultiVariant kRopeMulti[] = {{"avx2", has_avx2, cpu::avx2::rope_multi},
                                           {"ref", always, ref::rope_multi}};
constexpr SiluMulVariant kSiluMul[] = {{"avx2", has_avx2, cpu::avx2::silu_mul}, {"ref", always, ref::silu_mul}};
constexpr AddVariant kAdd[] = {{"avx2", has_avx2, cpu::avx2::add}, {"ref", always, ref::add}};
constexpr SoftmaxVariant kSoftmax[] = {{"avx2", has_avx2, cpu::avx2::softmax}, {"ref", always, ref::softmax}};
constexpr EmbeddingVariant kEmbedding[] = {{"avx2", has_avx2, cpu::avx2::embedding},
                                           {"ref", always, ref::embedding}};
constexpr WriteKvVariant kWriteKv[] = {{"cpu", always, cpu::write_kv}, {"ref", always, ref::write_kv}};
constexpr PagedAttentionVariant kPagedAttention[] = {{"avx512", has_avx512, cpu::avx512::paged_attention},
                                                     {"avx2", has_avx2, cpu::avx2::paged_attention},
                                                     {"ref", always, ref::paged_attention}};
constexpr LayerNormVariant kLayerNorm[] = {{"avx2", has_avx2, cpu::avx2::layer_norm}, {"ref", always, ref::layer_norm}};
constexpr GeluVariant kGelu[] = {{"avx2", has_avx2, cpu::avx2::gelu}, {"ref", always, ref::gelu}};
constexpr QuickGeluVariant kQuickGelu[] = {{"avx2", has_avx2, cpu::avx2::quick_gelu}, {"ref", always, ref::quick_gelu}};
constexpr RopeTableVariant kRopeTable[] = {{"avx2", has_avx2, cpu::avx2::rope_table}, {"ref", always, ref::rope_table}};
constexpr VarlenAttentionVariant kVarlenAttention[] = {{"avx2_dnnl", has_avx2, cpu::avx2::varlen_attention},
                                                       {"ref", always, ref::varlen_attention}};

}  // namespace

std::span<const MatmulVariant> matmul_variants() { return kMatmul; }
std::span<const RmsNormVariant> rms_norm_variants() { return kRmsNorm; }
std::span<const RopeVariant> rope_variants() { return kRope; }
std::span<const RopeMultiVariant> rope_multi_variants() { return kRopeMulti; }
std::span<const SiluMulVariant> silu_mul_variants() { return kSiluMul; }
std::span<const AddVariant> add_variants() { return kAdd; }
std::span<const SoftmaxVariant> softmax_variants() { return kSoftmax; }
std::span<const EmbeddingVariant> embedding_variants() { return kEmbedding; }
std::span<const WriteKvVariant> write_kv_variants() { return kWriteKv; }
std::span<const PagedAttentionVariant> paged_attention_variants() { return kPagedAttention; }
bool paged_attention_takes_f16() { return best_variant(paged_attention_variants()).fn != ref::paged_attention; }
std::span<const LayerNormVariant> layer_norm_variants() { return kLayerNorm; }
std::span<const GeluVariant> gelu_variants() { return kGelu; }
std::span<const QuickGeluVariant> quick_gelu_variants() { return kQuickGelu; }
std::span<const RopeTableVariant> rope_table_variants() { return kRopeTable; }
std::span<const VarlenAttentionVariant> varlen_attention_variants() { return kVarlenAttention; }

void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  static const auto fn = best_variant(matmul_variants()).fn;
  fn(x, M, w, bias, y);
}
Tensor prepare_weight(const Tensor& w, HostBuffer& storage) {
  static const bool tiles = best_variant(matmul_variants()).takes_tiles;
  if (!tiles || w.ndim() != 2 || w.dtype != DType::kBF16 || w.layout != Layout::kRowMajor ||
      w.dim(0) % kTileRows != 0 || w.dim(1) % kTileCols != 0)
    return w;
  storage = HostBuffer(w.nbytes(), HostBuffer::Uninitialized{});  // to_tiles writes every byte, in parallel
  return cpu::to_tiles(w, storage.data());
}
void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y) {
  static const auto fn = best_variant(rms_norm_variants()).fn;
  fn(x, w, rows, dim, eps, y);
}
void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          RopePairing pairing) {
  static const auto fn = best_variant(rope_variants()).fn;
  fn(x, T, n_heads, head_dim, positions, inv_freq, pairing);
}
void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing) {
  static const auto fn = best_variant(rope_multi_variants()).fn;
  fn(x, T, n_heads, head_dim, positions, sections, inv_freq, pairing);
}
void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  static const auto fn = best_variant(silu_mul_variants()).fn;
  fn(gate, up, n, out);
}
void add(const float* a, const float* b, int64_t n, float* y) {
  static const auto fn = best_variant(add_variants()).fn;
  fn(a, b, n, y);
}
void softmax(float* x, int64_t rows, int64_t cols) {
  static const auto fn = best_variant(softmax_variants()).fn;
  fn(x, rows, cols);
}
void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out) {
  static const auto fn = best_variant(embedding_variants()).fn;
  fn(table, ids, n, out);
}
void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv) {
  static const auto fn = best_variant(write_kv_variants()).fn;
  fn(k, v, slot_mapping, T, kv);
}
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, float scale,
                     float* out) {
  static const auto fn = best_variant(paged_attention_variants()).fn;
  fn(q, kv, md, n_heads, scale, out);
}

void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t dim, float eps, float* y) {
  static const auto fn = best_variant(layer_norm_variants()).fn;
  fn(x, w, b, rows, dim, eps, y);
}
void gelu(const float* x, int64_t n, float* out) {
  static const auto fn = best_variant(gelu_variants()).fn;
  fn(x, n, out);
}
void quick_gelu(const float* x, int64_t n, float* out) {
  static const auto fn = best_variant(quick_gelu_variants()).fn;
  fn(x, n, out);
}
void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin) {
  static const auto fn = best_variant(rope_table_variants()).fn;
  fn(x, T, n_heads, head_dim, row_stride, cos, sin);
}
void varlen_attention(const VarlenAttentionArgs& args) {
  static const auto fn = best_variant(varlen_attention_variants()).fn;
  fn(args);
}

}  // namespace mms::kernels
