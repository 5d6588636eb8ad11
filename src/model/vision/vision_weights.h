// VisionWeights: the tensors of a Qwen2-VL / Qwen2.5-VL vision tower and merger as the forward pass uses them,
// loaded from a WeightStore under Hugging Face names (`visual.` or `model.visual.` prefix) or llama.cpp's mmproj
// names (`v.blk.N.*`, `mm.0`). Matrices stay views into the store in their stored dtype (f32/f16/bf16), except
// what GGUF splits and the forward pass wants whole (q/k/v, the patch kernel's two frames): copied once, joined,
// in the stored dtype. Norms and biases become f32. Owns what it converts; the store must outlive it. Immutable
// after loading; thread-safe reads.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/decoder_tensor_specs.h"
#include "model/layers/f32_params.h"
#include "model/layers/matmul_weights.h"
#include "model/vision/vision_config.h"
#include "model/weight_store.h"
#include "tensor/host_buffer.h"

namespace mms {

// E = hidden_size, F = intermediate_size, K = in_channels * temporal_patch_size * patch_size^2,
// U = E * spatial_merge_size^2, O = out_hidden_size.
struct VisionLayerWeights {
  const float* norm1_w = nullptr;  // [E]
  const float* norm1_b = nullptr;  // [E], LayerNorm (Qwen2-VL) only
  Tensor wqkv;                     // [3 * E, E]: q, k, v rows (HF's attn.qkv; GGUF's attn_q/k/v joined at load)
  const float* bqkv = nullptr;     // [3 * E]
  Tensor wo;                       // [E, E]
  const float* bo = nullptr;       // [E]
  const float* norm2_w = nullptr;  // [E]
  const float* norm2_b = nullptr;  // [E], Qwen2-VL only
  Tensor w_gate;                   // [F, E], Qwen2.5-VL only (SwiGLU)
  const float* b_gate = nullptr;   // [F]
  Tensor w_up;                     // [F, E] (Qwen2-VL fc1)
  const float* b_up = nullptr;     // [F]
  Tensor w_down;                   // [E, F] (Qwen2-VL fc2)
  const float* b_down = nullptr;   // [E]
};

struct VisionWeights {
  Tensor patch_embed;                       // [E, K], columns in (channel, frame, row, column) order (HF Conv3d)
  std::vector<VisionLayerWeights> layers;
  const float* merger_norm_w = nullptr;     // [E] (ln_q)
  const float* merger_norm_b = nullptr;     // [E], Qwen2-VL only
  Tensor merger_fc1;                        // [U, U]
  const float* merger_fc1_b = nullptr;      // [U]
  Tensor merger_fc2;                        // [O, U]
  const float* merger_fc2_b = nullptr;      // [O]

  F32Params params;             // f32 copies of f16/bf16 norms and biases
  std::deque<HostBuffer> owned;  // what GGUF stores split: the patch kernel's two frames, q/k/v and their biases
  MatmulWeights matmuls;         // the matrices above as kernels::matmul wants them (prepared once at load)
};

enum class VisionWeightNaming {
  kHf,    // visual.patch_embed.proj.weight, visual.blocks.N.attn.qkv.weight, visual.merger.mlp.0.weight, ...
  kGguf,  // v.patch_embd.weight(.1), v.blk.N.attn_q.weight, v.post_ln.weight, mm.0.weight, ...
};

// Loads and shape-checks every tensor. Errors: NotFound naming the source and the missing tensor,
// InvalidArgument naming a tensor with the wrong shape or an unsupported dtype. kHf finds the prefix itself
// (`visual.` or `model.visual.`).
StatusOr<std::unique_ptr<VisionWeights>> load_vision_weights(const WeightStore& store, const VisionConfig& config,
                                                             VisionWeightNaming naming);

// Every tensor of the tower under its Hugging Face name (prefix `visual.`) and shape: for dummy weights and for
// tests that write an HF checkpoint.
std::vector<TensorSpec> vision_tensor_specs(const VisionConfig& config);

}  // namespace mms
