#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "model/gguf/gguf_file.h"
#include "model/model_config.h"
#include "testing/gguf_writer.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using mms::testing::GgufWriter;
using ::testing::HasSubstr;

void expect_same_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.model_type, b.model_type);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers);
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
  EXPECT_EQ(a.num_key_value_heads, b.num_key_value_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.rope_scaling.type, b.rope_scaling.type);
  EXPECT_EQ(a.rope_scaling.factor, b.rope_scaling.factor);
  EXPECT_EQ(a.rope_pairing, b.rope_pairing);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.attention_bias, b.attention_bias);
  EXPECT_EQ(a.mrope_section, b.mrope_section);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.eos_token_ids, b.eos_token_ids);
}

TEST(GgufConfig, FixtureMatchesHfConfig) {
  auto f = gguf::GgufFile::open(mms::testing::test_data("tiny-qwen2-f32.gguf"));
  ASSERT_TRUE(f.ok());
  auto g = config_from_gguf(**f);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  auto text = read_file(mms::testing::test_data("tiny-qwen2-hf/config.json"));
  ASSERT_TRUE(text.ok());
  auto h = parse_hf_config(*text, "config.json");
  ASSERT_TRUE(h.ok());
  expect_same_config(*g, *h);
  EXPECT_EQ(g->architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(g->rms_norm_eps, 1e-6);
  EXPECT_TRUE(g->tie_word_embeddings);
  EXPECT_EQ(g->vocab_size, 2112);
}

GgufWriter base_writer(const std::string& arch) {
  GgufWriter w;
  w.add_string("general.architecture", arch);
  const std::string p = arch + ".";
  w.add_scalar<uint32_t>(p + "context_length", GgufWriter::kU32, 4096);
  w.add_scalar<uint32_t>(p + "embedding_length", GgufWriter::kU32, 64);
  w.add_scalar<uint32_t>(p + "block_count", GgufWriter::kU32, 2);
  w.add_scalar<uint32_t>(p + "feed_forward_length", GgufWriter::kU32, 128);
  w.add_scalar<uint32_t>(p + "attention.head_count", GgufWriter::kU32, 4);
  w.add_scalar<uint32_t>(p + "attention.head_count_kv", GgufWriter::kU32, 2);
  w.add_scalar<float>(p + "rope.freq_base", GgufWriter::kF32, 500000.f);
  w.add_scalar<float>(p + "attention.layer_norm_rms_epsilon", GgufWriter::kF32, 1e-5f);
  return w;
}

StatusOr<ModelConfig> config_of(const GgufWriter& w, std::vector<uint8_t>* keep) {
  *keep = w.finish();
  auto f = gguf::GgufFile::parse(*keep, "w.gguf");
  if (!f.ok()) return f.status();
  return config_from_gguf(**f);
}

TEST(GgufConfig, LlamaUsesGptjPairingAndEmbeddingVocab) {
  GgufWriter w = base_writer("llama");
  w.add_scalar<float>("llama.rope.scaling.factor", GgufWriter::kF32, 4.f);
  w.add_string("llama.rope.scaling.type", "linear");
  w.add_scalar<uint32_t>("tokenizer.ggml.bos_token_id", GgufWriter::kU32, 1);
  w.add_scalar<uint32_t>("tokenizer.ggml.eos_token_id", GgufWriter::kU32, 2);
  w.add_scalar<uint32_t>("tokenizer.ggml.eot_token_id", GgufWriter::kU32, 9);
  w.add_f32_tensor("token_embd.weight", {64, 10}, std::vector<float>(640));
  w.add_f32_tensor("output.weight", {64, 10}, std::vector<float>(640));
  std::vector<uint8_t> keep;
  auto c = config_of(w, &keep);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->architecture, "LlamaForCausalLM");
  EXPECT_EQ(c->rope_pairing, kernels::RopePairing::kGptj);
  EXPECT_EQ(c->vocab_size, 10);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->rms_norm_eps, 1e-5);
  EXPECT_EQ(c->rope_theta, 500000.0);
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kLinear);
  EXPECT_EQ(c->rope_scaling.factor, 4.0);
  EXPECT_EQ(c->bos_token_id, 1);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{2, 9}));
}

TEST(GgufConfig, Qwen2VlSections) {
  GgufWriter w = base_writer("qwen2vl");
  w.add_array<int32_t>("qwen2vl.rope.dimension_sections", GgufWriter::kI32, {2, 3, 3, 0});
  w.add_string_array("tokenizer.ggml.tokens", {"a", "<|vision_start|>", "<|image_pad|>"});
  w.add_f32_tensor("blk.0.attn_q.bias", {64}, std::vector<float>(64));
  std::vector<uint8_t> keep;
  auto c = config_of(w, &keep);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->architecture, "Qwen2VLForConditionalGeneration");
  EXPECT_EQ(c->vision_start_token_id, 1);  // placeholders found by name in the vocabulary
  EXPECT_EQ(c->image_token_id, 2);
  EXPECT_FALSE(c->video_token_id.has_value());
  EXPECT_EQ(c->mrope_spatial_merge_size, 2);
  EXPECT_EQ(c->mrope_tokens_per_second, 0.0);
  EXPECT_EQ(c->rope_pairing, kernels::RopePairing::kNeox);
  EXPECT_EQ(c->mrope_section, (std::vector<int32_t>{2, 3, 3}));
  EXPECT_EQ(c->vocab_size, 3);
  EXPECT_TRUE(c->attention_bias);
  EXPECT_TRUE(c->tie_word_embeddings);
}

TEST(GgufConfig, Qwen2VlFixture) {
  auto f = gguf::GgufFile::open(mms::testing::test_data("tiny-qwen2vl-f32.gguf"));
  ASSERT_TRUE(f.ok());
  auto c = config_from_gguf(**f);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->mrope_section, (std::vector<int32_t>{4, 6, 6}));
  EXPECT_EQ(c->head_dim, 32);
  EXPECT_EQ(c->num_hidden_layers, 2);
  EXPECT_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_EQ(c->image_token_id, 2060);
  EXPECT_EQ(c->video_token_id, 2061);
  EXPECT_EQ(c->vision_start_token_id, 2057);
  EXPECT_EQ(c->vision_end_token_id, 2058);
}

TEST(GgufConfig, Errors) {
  std::vector<uint8_t> keep;
  auto s = config_of(base_writer("mamba"), &keep).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("mamba"));
  EXPECT_THAT(s.message(), HasSubstr("w.gguf"));

  GgufWriter no_vocab = base_writer("qwen2");
  s = config_of(no_vocab, &keep).status();
  EXPECT_THAT(s.message(), HasSubstr("vocabulary"));

  GgufWriter bad_type = base_writer("qwen2");
  bad_type.add_string_array("tokenizer.ggml.tokens", {"a"});
  bad_type.add_string("qwen2.rope.scaling.type", "yarn");
  s = config_of(bad_type, &keep).status();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);

  GgufWriter missing;
  missing.add_string("general.architecture", "qwen2");
  s = config_of(missing, &keep).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("qwen2.embedding_length"));
}

}  // namespace
}  // namespace mms
