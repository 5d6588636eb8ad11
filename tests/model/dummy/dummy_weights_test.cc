#include "model/dummy/dummy_weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "common/mapped_file.h"
#include "model/decoder_tensor_specs.h"
#include "testing/test_data.h"

namespace mms {
namespace {

ModelConfig load_config(const std::string& rel) {
  auto text = read_file(mms::testing::test_data(rel));
  return *parse_hf_config(*text, rel);
}

float to_f32(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32: return t.as<float>()[i];
    case DType::kBF16: return bf16_to_f32(t.as<uint16_t>()[i]);
    case DType::kF16: return f16_to_f32(t.as<uint16_t>()[i]);
    default: return NAN;
  }
}

TEST(DummyWeights, HalfBModelShapesDtypesValuesAndTime) {
  ModelConfig c = load_config("qwen2.5-0.5b-instruct.config.json");
  const auto t0 = std::chrono::steady_clock::now();
  auto store = make_dummy_weights(c, DType::kBF16, 1234);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  RecordProperty("load_seconds", std::to_string(seconds));
  std::printf("dummy Qwen2.5-0.5B (494M params, bf16): %.2f s\n", seconds);
  EXPECT_LT(seconds, 30.0);  // a few seconds on 2 cores; generous for shared CI machines
  const WeightStore& w = **store;
  EXPECT_TRUE(validate_decoder_weights(w, c).ok());
  EXPECT_EQ(w.names().size(), decoder_tensor_specs(c).size());

  auto emb = *w.get("model.embed_tokens.weight");
  EXPECT_EQ(emb.shape, (Shape{151936, 896}));
  EXPECT_EQ(emb.dtype, DType::kBF16);
  auto q = *w.get("model.layers.7.self_attn.q_proj.weight");
  EXPECT_EQ(q.dtype, DType::kBF16);
  auto qb = *w.get("model.layers.7.self_attn.q_proj.bias");
  EXPECT_EQ(qb.dtype, DType::kF32);
  EXPECT_EQ(qb.shape, (Shape{896}));
  auto norm = *w.get("model.layers.7.input_layernorm.weight");
  EXPECT_EQ(norm.dtype, DType::kF32);
  for (int64_t i = 0; i < norm.numel(); ++i) ASSERT_EQ(norm.as<float>()[i], 1.0f);
  EXPECT_EQ(w.get("model.norm.weight")->as<float>()[895], 1.0f);
  EXPECT_FALSE(w.has("lm_head.weight"));
  EXPECT_EQ(w.get("lm_head.weight").status().code(), StatusCode::kNotFound);

  // Statistics of the embedding: mean ~0, std ~0.02, bounded by the generator's 2*sqrt(3)*std.
  double sum = 0, sq = 0;
  float max_abs = 0;
  const int64_t n = emb.numel();
  for (int64_t i = 0; i < n; i += 7) {
    const float v = to_f32(emb, i);
    sum += v;
    sq += double(v) * v;
    max_abs = std::max(max_abs, std::fabs(v));
  }
  const double count = double((n + 6) / 7);
  EXPECT_NEAR(sum / count, 0.0, 2e-4);
  EXPECT_NEAR(std::sqrt(sq / count), 0.02, 5e-4);
  EXPECT_LE(max_abs, 0.0701f);
  EXPECT_GT(max_abs, 0.05f);

  // Values are a pure function of (seed, name, index).
  EXPECT_EQ(to_f32(q, 12345), bf16_to_f32(f32_to_bf16(dummy_weight_value(1234, "model.layers.7.self_attn.q_proj.weight", 12345))));
}

TEST(DummyWeights, DeterministicPerSeed) {
  ModelConfig c = load_config("tiny-qwen2-hf/config.json");
  auto a = make_dummy_weights(c, DType::kF32, 7);
  auto b = make_dummy_weights(c, DType::kF32, 7);
  auto d = make_dummy_weights(c, DType::kF32, 8);
  ASSERT_TRUE(a.ok() && b.ok() && d.ok());
  for (const auto& name : (*a)->names()) {
    Tensor x = *(*a)->get(name), y = *(*b)->get(name), z = *(*d)->get(name);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes()), 0) << name;
    if (name.find("norm") == std::string::npos) {
      EXPECT_NE(std::memcmp(x.data, z.data, x.nbytes()), 0) << name;
    }
  }
  // Different tensors get different streams.
  Tensor q0 = *(*a)->get("model.layers.0.self_attn.q_proj.weight");
  Tensor q1 = *(*a)->get("model.layers.1.self_attn.q_proj.weight");
  EXPECT_NE(std::memcmp(q0.data, q1.data, q0.nbytes()), 0);
  EXPECT_EQ(q0.as<float>()[100], dummy_weight_value(7, "model.layers.0.self_attn.q_proj.weight", 100));
}

TEST(DummyWeights, DtypesAndErrors) {
  ModelConfig c = load_config("tiny-qwen2-hf/config.json");
  c.tie_word_embeddings = false;
  auto h = make_dummy_weights(c, DType::kF16, 1);
  ASSERT_TRUE(h.ok());
  Tensor lm = *(*h)->get("lm_head.weight");
  EXPECT_EQ(lm.dtype, DType::kF16);
  EXPECT_EQ(lm.shape, (Shape{2112, 256}));
  EXPECT_NEAR(to_f32(lm, 5), dummy_weight_value(1, "lm_head.weight", 5), 1e-4);

  EXPECT_EQ(make_dummy_weights(c, DType::kI32, 1).status().code(), StatusCode::kInvalidArgument);
  c.num_key_value_heads = 3;
  auto s = make_dummy_weights(c, DType::kBF16, 1, "dummy:x").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("dummy:x"));
}

}  // namespace
}  // namespace mms
