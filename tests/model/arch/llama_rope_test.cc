// The Llama graph (no Q/K/V bias) and its RoPE variants: llama.cpp's `rope_freqs.weight` per-pair
// divisors must act exactly like the equivalent config-side scaling, and GPT-J pairing must differ.
#include <gtest/gtest.h>

#include "exec/batch_builder.h"
#include "exec/kv_storage.h"
#include "model/causal_lm.h"
#include "model/dummy/dummy_weights.h"
#include "testing/test_data.h"

namespace mms {
namespace {

ModelConfig tiny_llama() {
  ModelConfig c;
  c.architecture = "LlamaForCausalLM";
  c.model_type = "llama";
  c.vocab_size = 300;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 256;
  c.rope_theta = 10000;
  return c;
}

// A store that adds one f32 tensor to another store.
class ExtraTensorStore final : public WeightStore {
 public:
  ExtraTensorStore(const WeightStore& base, std::string name, std::vector<float> data)
      : base_(base), name_(std::move(name)), data_(std::move(data)) {}
  StatusOr<Tensor> get(std::string_view name) const override {
    if (name == name_) return Tensor(data_.data(), DType::kF32, Shape{static_cast<int64_t>(data_.size())});
    return base_.get(name);
  }
  bool has(std::string_view name) const override { return name == name_ || base_.has(name); }
  std::vector<std::string> names() const override { return base_.names(); }
  std::string source() const override { return "test"; }

 private:
  const WeightStore& base_;
  std::string name_;
  std::vector<float> data_;
};

std::vector<float> last_logits(CausalLm& lm, const std::vector<int32_t>& prompt) {
  const ModelConfig& c = lm.config();
  KvStorage kv({c.num_hidden_layers, 4, 16, static_cast<int32_t>(c.num_key_value_heads),
                static_cast<int32_t>(c.head_dim), DType::kF32});
  std::vector<kernels::PagedKvLayer> layers;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layers.push_back(kv.layer(l));
  std::vector<int32_t> table = {0, 1, 2, 3};
  BatchBuilder b(16);
  b.add({prompt, 0, table, LogitsWanted::kLast});
  std::vector<float> logits(c.vocab_size);
  lm.forward(b.build(), layers, logits.data());
  return logits;
}

TEST(LlamaRopeTest, RopeFreqsTensorEqualsLinearScaling) {
  const ModelConfig base = tiny_llama();
  auto weights = make_dummy_weights(base, DType::kF32, 3);
  ASSERT_TRUE(weights.ok()) << weights.status().to_string();
  const std::vector<int32_t> prompt = {1, 5, 9, 17, 33, 65, 129, 257, 2, 4, 8, 16, 32, 64, 128, 255, 3, 7, 11, 13};

  ModelConfig linear = base;
  linear.rope_scaling.type = RopeScaling::Type::kLinear;
  linear.rope_scaling.factor = 4.0;
  auto lm_linear = create_causal_lm(linear, **weights);
  ASSERT_TRUE(lm_linear.ok()) << lm_linear.status().to_string();

  ExtraTensorStore with_freqs(**weights, "rope_freqs.weight", std::vector<float>(base.head_dim / 2, 4.0f));
  auto lm_freqs = create_causal_lm(base, with_freqs);
  ASSERT_TRUE(lm_freqs.ok()) << lm_freqs.status().to_string();
  auto lm_plain = create_causal_lm(base, **weights);
  ASSERT_TRUE(lm_plain.ok());

  const auto a = last_logits(**lm_linear, prompt);
  const auto b = last_logits(**lm_freqs, prompt);
  const auto plain = last_logits(**lm_plain, prompt);
  EXPECT_LE(testing::max_abs_diff(a.data(), b.data(), a.size()), 1e-6f);
  EXPECT_GT(testing::max_abs_diff(a.data(), plain.data(), a.size()), 1e-5f) << "scaling must change the logits";

  ModelConfig gptj = base;
  gptj.rope_pairing = kernels::RopePairing::kGptj;
  auto lm_gptj = create_causal_lm(gptj, **weights);
  ASSERT_TRUE(lm_gptj.ok());
  EXPECT_GT(testing::max_abs_diff(last_logits(**lm_gptj, prompt).data(), plain.data(), a.size()), 1e-5f);
}

TEST(LlamaRopeTest, UnknownArchitectureIsRejectedByName) {
  ModelConfig c = tiny_llama();
  auto weights = make_dummy_weights(c, DType::kF32, 3);
  ASSERT_TRUE(weights.ok());
  c.architecture = "MambaForCausalLM";
  auto lm = create_causal_lm(c, **weights);
  ASSERT_FALSE(lm.ok());
  EXPECT_NE(lm.status().message().find("MambaForCausalLM"), std::string::npos);
}

}  // namespace
}  // namespace mms
