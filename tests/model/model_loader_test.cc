#include "model/model_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "common/mapped_file.h"
#include "model/decoder_tensor_specs.h"
#include "testing/safetensors_writer.h"
#include "testing/test_data.h"

namespace mms {
namespace {

namespace fs = std::filesystem;
using mms::testing::test_data;
using ::testing::HasSubstr;

void expect_tiny_qwen2_config(const ModelConfig& c) {
  EXPECT_EQ(c.architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(c.hidden_size, 256);
  EXPECT_EQ(c.num_hidden_layers, 4);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.intermediate_size, 704);
  EXPECT_EQ(c.vocab_size, 2112);
  EXPECT_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.attention_bias);
  EXPECT_EQ(c.rope_pairing, kernels::RopePairing::kNeox);
}

TEST(LoadModel, GgufAndHfFixturesAgree) {
  auto g = load_model(test_data("tiny-qwen2-f32.gguf"));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  auto h = load_model(test_data("tiny-qwen2-hf"));
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  expect_tiny_qwen2_config(g->config);
  expect_tiny_qwen2_config(h->config);
  EXPECT_EQ(g->config.dtype, h->config.dtype);
  EXPECT_EQ(g->config.max_position_embeddings, h->config.max_position_embeddings);
  EXPECT_EQ(g->config.bos_token_id, h->config.bos_token_id);
  EXPECT_EQ(g->config.eos_token_ids, h->config.eos_token_ids);
  EXPECT_EQ(g->name, "tiny-qwen2-f32.gguf");
  EXPECT_EQ(h->name, "tiny-qwen2-hf");

  for (const auto& [name, shape] : decoder_tensor_specs(g->config)) {
    Tensor a = *get_weight(*g->weights, name, shape);
    Tensor b = *get_weight(*h->weights, name, shape);
    ASSERT_EQ(a.dtype, b.dtype) << name;
    EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes()), 0) << name;
  }

  ASSERT_NE(g->tokenizer, nullptr);
  ASSERT_NE(h->tokenizer, nullptr);
  EXPECT_EQ(g->tokenizer->vocab_size(), 2112);
  const std::string text = "<|im_start|>user\nHello, world! 123<|im_end|>\n";
  EXPECT_EQ(g->tokenizer->encode(text), h->tokenizer->encode(text));
  EXPECT_FALSE(g->chat_template.empty());
  EXPECT_EQ(g->chat_template, h->chat_template);
  EXPECT_EQ(g->generation.eos_token_ids, std::vector<int32_t>{2050});
  EXPECT_EQ(h->generation.eos_token_ids, std::vector<int32_t>{2050});
  EXPECT_EQ(h->generation.bos_token_id, 2048);
  EXPECT_FALSE(h->generation.do_sample);
}

TEST(LoadModel, DummyFromConfigFileDirAndGguf) {
  LoadOptions opt;
  opt.load_format = LoadFormat::kDummy;
  opt.dummy_seed = 5;
  auto m = load_model(test_data("qwen2.5-0.5b-instruct.config.json"), opt);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->config.hidden_size, 896);
  EXPECT_EQ(m->config.dtype, DType::kBF16);
  EXPECT_EQ(m->tokenizer, nullptr);  // tests/data holds no tokenizer.json
  EXPECT_EQ(m->weights->get("model.embed_tokens.weight")->dtype, DType::kBF16);
  EXPECT_TRUE(validate_decoder_weights(*m->weights, m->config).ok());
  EXPECT_EQ(m->generation.eos_token_ids, std::vector<int32_t>{151645});
  m = StatusOr<LoadedModel>(internal_error("released"));  // free the 1 GB before the next load

  opt.dummy_dtype = DType::kF32;
  auto d = load_model(test_data("tiny-qwen2-hf"), opt);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_NE(d->tokenizer, nullptr);
  EXPECT_EQ(d->name, "tiny-qwen2-hf");
  EXPECT_FALSE(d->chat_template.empty());
  EXPECT_EQ(d->config.dtype, DType::kF32);
  EXPECT_THAT(d->weights->source(), HasSubstr("dummy"));

  auto gd = load_model(test_data("tiny-qwen2-f32.gguf"), opt);
  ASSERT_TRUE(gd.ok()) << gd.status().to_string();
  EXPECT_NE(gd->tokenizer, nullptr);
  // Same seed, same names, same dtype: the same dummy values whatever the config came from.
  Tensor a = *d->weights->get("model.layers.1.mlp.up_proj.weight");
  Tensor b = *gd->weights->get("model.layers.1.mlp.up_proj.weight");
  EXPECT_EQ(std::memcmp(a.data, b.data, a.nbytes()), 0);
}

class LoaderDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("mms_loader_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void copy_fixture(const std::string& name) {
    fs::copy_file(test_data("tiny-qwen2-hf/" + name), dir_ / name, fs::copy_options::overwrite_existing);
  }
  fs::path dir_;
};

TEST_F(LoaderDir, MissingTensorIsNamed) {
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) copy_fixture(f);
  mms::testing::SafetensorsWriter w;
  w.add_f32("model.embed_tokens.weight", {2112, 256}, std::vector<float>(2112 * 256));
  ASSERT_TRUE(mms::testing::write_bytes((dir_ / "model.safetensors").string(), w.finish()));
  auto s = load_model(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("model.layers.0.input_layernorm.weight"));
  EXPECT_THAT(s.message(), HasSubstr(dir_.string()));
}

TEST_F(LoaderDir, WrongShapeIsNamed) {
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"}) copy_fixture(f);
  mms::testing::SafetensorsWriter w;
  w.add_f32("model.embed_tokens.weight", {2112, 128}, std::vector<float>(2112 * 128));
  ASSERT_TRUE(mms::testing::write_bytes((dir_ / "model.safetensors").string(), w.finish()));
  auto s = load_model(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("model.embed_tokens.weight"));
  EXPECT_THAT(s.message(), HasSubstr("[2112, 128]"));
  EXPECT_THAT(s.message(), HasSubstr("[2112, 256]"));
}

TEST_F(LoaderDir, UnknownArchitectureAndMissingTokenizer) {
  copy_fixture("model.safetensors");
  ASSERT_TRUE(mms::testing::write_text((dir_ / "config.json").string(),
                                       R"({"architectures":["GPTNeoXForCausalLM"]})"));
  auto s = load_model(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("GPTNeoXForCausalLM"));

  copy_fixture("config.json");
  s = load_model(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("tokenizer.json"));
}

TEST_F(LoaderDir, TruncatedGguf) {
  auto full = MappedFile::open(test_data("tiny-qwen2-f32.gguf"));
  ASSERT_TRUE(full.ok());
  const auto bytes = (*full)->bytes();
  const fs::path p = dir_ / "cut.gguf";
  ASSERT_TRUE(mms::testing::write_bytes(p.string(), std::vector<uint8_t>(bytes.begin(), bytes.end() - 1000)));
  auto s = load_model(p.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("cut.gguf"));
  EXPECT_THAT(s.message(), HasSubstr("blk.3.ffn_down.weight"));
}

TEST_F(LoaderDir, NotAModel) {
  EXPECT_EQ(load_model((dir_ / "nothing").string()).status().code(), StatusCode::kNotFound);
  auto s = load_model(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("config.json"));
}

}  // namespace
}  // namespace mms
