// The GGUF and safetensors weight stores on the fixture model (the same weights in both formats) and
// on small sharded checkpoints written here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "model/decoder_tensor_specs.h"
#include "model/gguf/gguf_weight_store.h"
#include "model/model_config.h"
#include "model/safetensors/hf_weight_store.h"
#include "testing/safetensors_writer.h"
#include "testing/test_data.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::weight_stores_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Fixture {
  std::unique_ptr<WeightStore> gguf;
  std::unique_ptr<WeightStore> hf;
  ModelConfig config;
};

Fixture open_fixture() {
  Fixture fx;
  auto g = gguf::GgufFile::open(mms::testing::test_data("tiny-qwen2-f32.gguf"));
  EXPECT_TRUE(g.ok());
  std::shared_ptr<const gguf::GgufFile> file = std::move(*g);
  fx.config = *config_from_gguf(*file);
  fx.gguf = std::make_unique<gguf::GgufWeightStore>(file);
  auto h = safetensors::HfWeightStore::open(mms::testing::test_data("tiny-qwen2-hf"));
  EXPECT_TRUE(h.ok()) << h.status().to_string();
  fx.hf = std::move(*h);
  return fx;
}

TEST(WeightStores, FixtureFormatsHoldBitIdenticalTensors) {
  Fixture fx = open_fixture();
  ASSERT_TRUE(fx.gguf && fx.hf);
  EXPECT_TRUE(validate_decoder_weights(*fx.gguf, fx.config).ok());
  EXPECT_TRUE(validate_decoder_weights(*fx.hf, fx.config).ok());
  auto specs = decoder_tensor_specs(fx.config);
  EXPECT_EQ(specs.size(), 1u + 4 * 12 + 1);  // tied: no lm_head
  std::vector<std::string> g_names = fx.gguf->names(), h_names = fx.hf->names();
  std::sort(g_names.begin(), g_names.end());
  std::sort(h_names.begin(), h_names.end());
  EXPECT_EQ(g_names, h_names);
  for (const std::string& name : h_names) {
    auto a = fx.gguf->get(name);
    auto b = fx.hf->get(name);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    ASSERT_EQ(a->shape, b->shape) << name;
    ASSERT_EQ(a->dtype, b->dtype) << name;
    EXPECT_EQ(std::memcmp(a->data, b->data, a->nbytes()), 0) << name;
  }
  EXPECT_FALSE(fx.gguf->has("lm_head.weight"));
  EXPECT_TRUE(fx.gguf->has("model.layers.3.self_attn.k_proj.bias"));
  EXPECT_FALSE(fx.gguf->has("blk.3.attn_k.bias"));  // only the canonical name answers
  auto s = fx.gguf->get("model.layers.9.mlp.up_proj.weight").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("tiny-qwen2-f32.gguf"));
  EXPECT_THAT(s.message(), HasSubstr("blk.9.ffn_up.weight"));
}

TEST(WeightStores, ValidationNamesMissingAndMisshapenTensors) {
  Fixture fx = open_fixture();
  ModelConfig c = fx.config;
  c.tie_word_embeddings = false;
  Status s = validate_decoder_weights(*fx.hf, c);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("lm_head.weight"));
  c = fx.config;
  c.intermediate_size = 700;
  s = validate_decoder_weights(*fx.gguf, c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("model.layers.0.mlp.gate_proj.weight"));
  EXPECT_THAT(s.message(), HasSubstr("[704, 256]"));
  EXPECT_THAT(s.message(), HasSubstr("[700, 256]"));
}

class ShardedDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("mms_sharded_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(mms::testing::write_bytes((dir_ / name).string(), bytes));
  }
  void write_text(const std::string& name, const std::string& text) {
    ASSERT_TRUE(mms::testing::write_text((dir_ / name).string(), text));
  }
  void write_two_shards() {
    mms::testing::SafetensorsWriter a, b;
    a.add_f32("model.embed_tokens.weight", {2, 2}, {1, 2, 3, 4});
    a.add_f32("model.norm.weight", {2}, {5, 6});
    b.add_f32("lm_head.weight", {2, 2}, {7, 8, 9, 10});
    b.add_f32("model.language_model.layers.0.input_layernorm.weight", {2}, {11, 12});
    write("model-00001-of-00002.safetensors", a.finish());
    write("model-00002-of-00002.safetensors", b.finish());
  }
  fs::path dir_;
};

TEST_F(ShardedDir, IndexOverTwoShards) {
  write_two_shards();
  write_text("model.safetensors.index.json", R"({"metadata":{"total_size":48},"weight_map":{
      "model.embed_tokens.weight":"model-00001-of-00002.safetensors",
      "model.norm.weight":"model-00001-of-00002.safetensors",
      "lm_head.weight":"model-00002-of-00002.safetensors",
      "model.language_model.layers.0.input_layernorm.weight":"model-00002-of-00002.safetensors"}})");
  auto store = safetensors::HfWeightStore::open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ((*store)->names().size(), 4u);
  EXPECT_EQ((*store)->get("lm_head.weight")->as<float>()[3], 10.f);
  EXPECT_EQ((*store)->get("model.norm.weight")->as<float>()[1], 6.f);
  // The VLM layout's language_model prefix is folded into the canonical name.
  EXPECT_EQ((*store)->get("model.layers.0.input_layernorm.weight")->as<float>()[0], 11.f);
  auto s = (*store)->get("model.layers.1.input_layernorm.weight").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(dir_.string()));
}

TEST_F(ShardedDir, ShardsWithoutIndex) {
  write_two_shards();
  auto store = safetensors::HfWeightStore::open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ((*store)->names().size(), 4u);
}

TEST_F(ShardedDir, IndexErrors) {
  write_two_shards();
  write_text("model.safetensors.index.json",
             R"({"weight_map":{"lm_head.weight":"model-00001-of-00002.safetensors"}})");
  auto s = safetensors::HfWeightStore::open(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("lm_head.weight"));
  EXPECT_THAT(s.message(), HasSubstr("model-00001-of-00002.safetensors"));

  write_text("model.safetensors.index.json", R"({"weight_map":{"x":"model-00009-of-00009.safetensors"}})");
  s = safetensors::HfWeightStore::open(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("model-00009-of-00009.safetensors"));

  write_text("model.safetensors.index.json", R"({"weight_map":{"x":"../etc/passwd"}})");
  EXPECT_THAT(safetensors::HfWeightStore::open(dir_.string()).status().message(), HasSubstr("outside"));
  write_text("model.safetensors.index.json", R"({"weight_map":[]})");
  EXPECT_THAT(safetensors::HfWeightStore::open(dir_.string()).status().message(), HasSubstr("weight_map"));
}

TEST_F(ShardedDir, DuplicateTensorAcrossShardsAndTruncatedShard) {
  mms::testing::SafetensorsWriter a, b;
  a.add_f32("w", {1}, {1});
  b.add_f32("w", {1}, {2});
  write("a.safetensors", a.finish());
  write("b.safetensors", b.finish());
  auto s = safetensors::HfWeightStore::open(dir_.string()).status();
  EXPECT_THAT(s.message(), HasSubstr("'w'"));
  EXPECT_THAT(s.message(), HasSubstr("a.safetensors"));

  auto bytes = a.finish();
  bytes.resize(bytes.size() - 2);
  write("b.safetensors", bytes);
  s = safetensors::HfWeightStore::open(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("b.safetensors"));
  EXPECT_THAT(s.message(), HasSubstr("'w'"));
}

TEST_F(ShardedDir, EmptyDirectory) {
  auto s = safetensors::HfWeightStore::open(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mms::weight_stores_test
