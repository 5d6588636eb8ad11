#include "model/decoder_tensor_specs.h"

#include <algorithm>

namespace mms {

std::vector<TensorSpec> decoder_tensor_specs_full(const ModelConfig& c) {
  const int64_t V = c.vocab_size, H = c.hidden_size, F = c.intermediate_size;
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  std::vector<TensorSpec> specs;
  specs.reserve(static_cast<size_t>(3 + 12 * std::max<int64_t>(c.num_hidden_layers, 0)));
  specs.push_back({"model.embed_tokens.weight", {V, H}, TensorRole::kMatrix});
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    specs.push_back({p + "input_layernorm.weight", {H}, TensorRole::kNorm});
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, H}, TensorRole::kMatrix});
    if (c.attention_bias) specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, TensorRole::kBias});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, H}, TensorRole::kMatrix});
    if (c.attention_bias) specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, TensorRole::kBias});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, H}, TensorRole::kMatrix});
    if (c.attention_bias) specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, TensorRole::kBias});
    specs.push_back({p + "self_attn.o_proj.weight", {H, q_dim}, TensorRole::kMatrix});
    specs.push_back({p + "post_attention_layernorm.weight", {H}, TensorRole::kNorm});
    specs.push_back({p + "mlp.gate_proj.weight", {F, H}, TensorRole::kMatrix});
    specs.push_back({p + "mlp.up_proj.weight", {F, H}, TensorRole::kMatrix});
    specs.push_back({p + "mlp.down_proj.weight", {H, F}, TensorRole::kMatrix});
  }
  specs.push_back({"model.norm.weight", {H}, TensorRole::kNorm});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {V, H}, TensorRole::kMatrix});
  return specs;
}

std::vector<std::pair<std::string, Shape>> decoder_tensor_specs(const ModelConfig& config) {
  std::vector<std::pair<std::string, Shape>> out;
  for (TensorSpec& s : decoder_tensor_specs_full(config)) out.emplace_back(std::move(s.name), s.shape);
  return out;
}

Status validate_decoder_weights(const WeightStore& store, const ModelConfig& config) {
  for (const TensorSpec& s : decoder_tensor_specs_full(config)) {
    MMS_RETURN_IF_ERROR(get_weight(store, s.name, s.shape).status());
  }
  return ok_status();
}

}  // namespace mms
