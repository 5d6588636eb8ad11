#include "model/decoder_tensor_specs.h"

#include <gtest/gtest.h>

#include <map>

#include "common/mapped_file.h"
#include "testing/test_data.h"

namespace mms {
namespace {

ModelConfig qwen_half_b() {
  auto text = read_file(mms::testing::test_data("qwen2.5-0.5b-instruct.config.json"));
  return *parse_hf_config(*text, "config.json");
}

TEST(DecoderTensorSpecs, Qwen25HalfBShapesAndCount) {
  ModelConfig c = qwen_half_b();
  auto specs = decoder_tensor_specs(c);
  EXPECT_EQ(specs.size(), 1u + 24 * 12 + 1);
  std::map<std::string, Shape> m(specs.begin(), specs.end());
  EXPECT_EQ(m.at("model.embed_tokens.weight"), (Shape{151936, 896}));
  EXPECT_EQ(m.at("model.layers.0.self_attn.q_proj.weight"), (Shape{896, 896}));
  EXPECT_EQ(m.at("model.layers.0.self_attn.q_proj.bias"), (Shape{896}));
  EXPECT_EQ(m.at("model.layers.23.self_attn.k_proj.weight"), (Shape{128, 896}));
  EXPECT_EQ(m.at("model.layers.23.self_attn.v_proj.bias"), (Shape{128}));
  EXPECT_EQ(m.at("model.layers.5.self_attn.o_proj.weight"), (Shape{896, 896}));
  EXPECT_EQ(m.at("model.layers.5.mlp.gate_proj.weight"), (Shape{4864, 896}));
  EXPECT_EQ(m.at("model.layers.5.mlp.down_proj.weight"), (Shape{896, 4864}));
  EXPECT_EQ(m.at("model.norm.weight"), (Shape{896}));
  EXPECT_EQ(m.count("lm_head.weight"), 0u);
  int64_t params = 0;
  for (const auto& [name, shape] : specs) params += shape.numel();
  EXPECT_EQ(params, 494032768);  // Qwen2.5-0.5B's published parameter count
}

TEST(DecoderTensorSpecs, UntiedNoBiasHeadDim) {
  ModelConfig c = qwen_half_b();
  c.tie_word_embeddings = false;
  c.attention_bias = false;
  c.head_dim = 128;  // explicit head_dim != hidden / heads
  auto specs = decoder_tensor_specs(c);
  std::map<std::string, Shape> m(specs.begin(), specs.end());
  EXPECT_EQ(specs.size(), 1u + 24 * 9 + 2);
  EXPECT_EQ(m.at("lm_head.weight"), (Shape{151936, 896}));
  EXPECT_EQ(m.at("model.layers.0.self_attn.q_proj.weight"), (Shape{14 * 128, 896}));
  EXPECT_EQ(m.at("model.layers.0.self_attn.o_proj.weight"), (Shape{896, 14 * 128}));
  EXPECT_EQ(m.count("model.layers.0.self_attn.q_proj.bias"), 0u);
}

}  // namespace
}  // namespace mms
