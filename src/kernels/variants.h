// Registry of every implementation of each kernel op, best first, the reference last. The public entry
// points (dispatch.cc) run the first variant whose available() is true on this CPU; tests enumerate all
// of them and check each available one against ref. Lists are static and thread-safe to read.
#pragma once

#include <span>

#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/gelu.h"
#include "kernels/layer_norm.h"
#include "kernels/matmul.h"
#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "kernels/rope_table.h"
#include "kernels/softmax.h"
#include "kernels/varlen_attention.h"

namespace mms::kernels {

template <typename Fn>
struct KernelVariant {
  const char* name;    // "avx2", "avx512", "avx512_bf16", "amx_bf16", "ref"
  bool (*available)();  // runs on this CPU (checks cpu_features())
  Fn* fn;               // same signature and contract as the ref:: function
  bool bf16_compute = false;  // rounds activations to bf16 (tests use a bf16-level tolerance)
  bool takes_tiles = false;   // matmul: also takes bf16 weights in Layout::kTiles16x32 (prepare_weight)
};

using MatmulVariant = KernelVariant<decltype(ref::matmul)>;
using RmsNormVariant = KernelVariant<decltype(ref::rms_norm)>;
using RopeVariant = KernelVariant<decltype(ref::rope)>;
using RopeMultiVariant = KernelVariant<decltype(ref::rope_multi)>;
using SiluMulVariant = KernelVariant<decltype(ref::silu_mul)>;
using AddVariant = KernelVariant<decltype(ref::add)>;
using SoftmaxVariant = KernelVariant<decltype(ref::softmax)>;
using EmbeddingVariant = KernelVariant<decltype(ref::embedding)>;
using WriteKvVariant = KernelVariant<decltype(ref::write_kv)>;
using PagedAttentionVariant = KernelVariant<decltype(ref::paged_attention)>;
using LayerNormVariant = KernelVariant<decltype(ref::layer_norm)>;
using GeluVariant = KernelVariant<decltype(ref::gelu)>;
using QuickGeluVariant = KernelVariant<decltype(ref::quick_gelu)>;
using RopeTableVariant = KernelVariant<decltype(ref::rope_table)>;
using VarlenAttentionVariant = KernelVariant<decltype(ref::varlen_attention)>;

std::span<const MatmulVariant> matmul_variants();
std::span<const RmsNormVariant> rms_norm_variants();
std::span<const RopeVariant> rope_variants();
std::span<const RopeMultiVariant> rope_multi_variants();
std::span<const SiluMulVariant> silu_mul_variants();
std::span<const AddVariant> add_variants();
std::span<const SoftmaxVariant> softmax_variants();
std::span<const EmbeddingVariant> embedding_variants();
std::span<const WriteKvVariant> write_kv_variants();
std::span<const PagedAttentionVariant> paged_attention_variants();
std::span<const LayerNormVariant> layer_norm_variants();
std::span<const GeluVariant> gelu_variants();
std::span<const QuickGeluVariant> quick_gelu_variants();
std::span<const RopeTableVariant> rope_table_variants();
std::span<const VarlenAttentionVariant> varlen_attention_variants();

// The variant the public entry point runs (the first available one).
template <typename V>
const V& best_variant(std::span<const V> variants) {
  for (const V& v : variants)
    if (v.available()) return v;
  return variants.back();  // ref, always available
}

}  // namespace mms::kernels
