// The tensors a Qwen2/Llama-family decoder needs, with canonical names and row-major shapes, derived
// from a ModelConfig: the one list the loaders, the dummy weights and the forward pass agree on.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/model_config.h"
#include "model/weight_store.h"
#include "tensor/tensor.h"

namespace mms {

enum class TensorRole {
  kMatrix,  // embeddings and projections: stored in the model's dtype
  kNorm,    // RMSNorm weights: f32 in dummy models, 1.0
  kBias,    // projection biases: f32 in dummy models
};

struct TensorSpec {
  std::string name;
  Shape shape;
  TensorRole role;
};

// In forward order: embed_tokens; per layer input_layernorm, q/k/v (+biases), o_proj,
// post_attention_layernorm, gate/up/down; model.norm; lm_head unless tied. With V = vocab, H = hidden,
// D = head_dim, F = intermediate:
//   model.embed_tokens.weight [V, H]     self_attn.q_proj.weight [nH*D, H] (+ bias [nH*D])
//   self_attn.k_proj/v_proj.weight [nKV*D, H] (+ bias)   self_attn.o_proj.weight [H, nH*D]
//   mlp.gate_proj/up_proj.weight [F, H]  mlp.down_proj.weight [H, F]   norms [H]   lm_head.weight [V, H]
std::vector<TensorSpec> decoder_tensor_specs_full(const ModelConfig& config);
// Names and shapes only.
std::vector<std::pair<std::string, Shape>> decoder_tensor_specs(const ModelConfig& config);

// Checks that `store` holds every tensor of decoder_tensor_specs() at its shape and in a loadable dtype.
// The first problem: NotFound naming the source and tensor, InvalidArgument with both shapes,
// Unimplemented for an unsupported stored type.
Status validate_decoder_weights(const WeightStore& store, const ModelConfig& config);

}  // namespace mms
