#include "model/gguf/gguf_tensor_names.h"

#include <gtest/gtest.h>

namespace mms::gguf {
namespace {

TEST(GgufTensorNames, BothDirections) {
  const std::pair<const char*, const char*> pairs[] = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
      {"model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"},
      {"model.layers.12.post_attention_layernorm.weight", "blk.12.ffn_norm.weight"},
      {"model.layers.3.self_attn.q_proj.weight", "blk.3.attn_q.weight"},
      {"model.layers.3.self_attn.q_proj.bias", "blk.3.attn_q.bias"},
      {"model.layers.3.self_attn.k_proj.weight", "blk.3.attn_k.weight"},
      {"model.layers.3.self_attn.k_proj.bias", "blk.3.attn_k.bias"},
      {"model.layers.3.self_attn.v_proj.weight", "blk.3.attn_v.weight"},
      {"model.layers.3.self_attn.v_proj.bias", "blk.3.attn_v.bias"},
      {"model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"},
      {"model.layers.27.mlp.gate_proj.weight", "blk.27.ffn_gate.weight"},
      {"model.layers.27.mlp.up_proj.weight", "blk.27.ffn_up.weight"},
      {"model.layers.27.mlp.down_proj.weight", "blk.27.ffn_down.weight"},
  };
  for (const auto& [hf, gg] : pairs) {
    EXPECT_EQ(hf_to_gguf_name(hf), std::optional<std::string>(gg)) << hf;
    EXPECT_EQ(gguf_to_hf_name(gg), std::optional<std::string>(hf)) << gg;
  }
}

TEST(GgufTensorNames, NonNames) {
  for (const char* n : {"", "model.layers..input_layernorm.weight", "model.layers.x.input_layernorm.weight",
                        "model.layers.01.input_layernorm.weight", "model.layers.-1.input_layernorm.weight",
                        "model.layers.3.mlp.gate_proj.bias", "model.layers.3", "visual.blocks.0.attn.qkv.weight",
                        "blk.0.attn_q.weight"}) {
    EXPECT_FALSE(hf_to_gguf_name(n).has_value()) << n;
  }
  for (const char* n : {"rope_freqs.weight", "blk.0", "blk.a.attn_q.weight", "v.blk.0.attn_q.weight",
                        "model.embed_tokens.weight"}) {
    EXPECT_FALSE(gguf_to_hf_name(n).has_value()) << n;
  }
}

}  // namespace
}  // namespace mms::gguf
