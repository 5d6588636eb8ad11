// Loading vision towers: config from the GGUF fixtures and from HF config.json (the published Qwen2.5-VL-3B
// one, a Qwen2-VL one), an HF copy of each GGUF fixture (f32: the same embedding; f16/bf16: close; newer
// `model.visual.` prefix), errors that name the tensor or key, dummy weights, and grid_of.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "testing/gguf_writer.h"
#include "vision_test_util.h"

namespace mms {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::max_abs_diff;
using testing::test_data;
using vision_testing::encode;
using vision_testing::load_image;

TEST(VisionConfig, FromGgufFixtures) {
  auto f2 = gguf::GgufFile::open(test_data("tiny-qwen2vl-mmproj-f32.gguf"));
  ASSERT_TRUE(f2.ok());
  auto c2 = vision_config_from_gguf(**f2);
  ASSERT_TRUE(c2.ok()) << c2.status().to_string();
  EXPECT_EQ(c2->projector, "qwen2vl_merger");
  EXPECT_FALSE(c2->is_qwen25());
  EXPECT_EQ(c2->hidden_size, 128);
  EXPECT_EQ(c2->intermediate_size, 512);
  EXPECT_EQ(c2->num_layers, 2);
  EXPECT_EQ(c2->num_heads, 4);
  EXPECT_EQ(c2->out_hidden_size, 256);
  EXPECT_DOUBLE_EQ(c2->norm_eps, 1e-6);
  EXPECT_TRUE(c2->full_attention(0) && c2->full_attention(1));

  auto f25 = gguf::GgufFile::open(test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  ASSERT_TRUE(f25.ok());
  auto c25 = vision_config_from_gguf(**f25);
  ASSERT_TRUE(c25.ok()) << c25.status().to_string();
  EXPECT_TRUE(c25->is_qwen25());
  EXPECT_EQ(c25->intermediate_size, 256);
  EXPECT_EQ(c25->num_layers, 4);
  EXPECT_EQ(c25->window_size, 112);  // no key in the file
  EXPECT_EQ(c25->window_units(), 4);
  EXPECT_EQ(c25->fullatt_block_indexes, (std::vector<int32_t>{1, 3}));
  EXPECT_FALSE(c25->full_attention(0));
  EXPECT_TRUE(c25->full_attention(3));
  EXPECT_FLOAT_EQ(c25->image_std[2], 0.27577711f);
}

TEST(VisionConfig, FromPublishedQwen25Vl3bConfig) {
  auto text = read_file(test_data("qwen2.5-vl-3b-instruct.config.json"));
  ASSERT_TRUE(text.ok());
  auto c = parse_hf_vision_config(*text, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->is_qwen25());
  EXPECT_EQ(c->hidden_size, 1280);
  EXPECT_EQ(c->intermediate_size, 3420);
  EXPECT_EQ(c->num_layers, 32);
  EXPECT_EQ(c->num_heads, 16);
  EXPECT_EQ(c->head_dim(), 80);
  EXPECT_EQ(c->out_hidden_size, 2048);
  EXPECT_EQ(c->fullatt_block_indexes, (std::vector<int32_t>{7, 15, 23, 31}));
  EXPECT_DOUBLE_EQ(c->tokens_per_second, 2.0);
}

TEST(VisionConfig, FromQwen2VlConfig) {
  const char* text = R"({"architectures": ["Qwen2VLForConditionalGeneration"], "model_type": "qwen2_vl",
    "hidden_size": 1536, "vision_config": {"depth": 32, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16,
    "in_chans": 3, "hidden_size": 1536, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2,
    "hidden_act": "quick_gelu"}})";
  auto c = parse_hf_vision_config(text, "config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->projector, "qwen2vl_merger");
  EXPECT_EQ(c->hidden_size, 1280);
  EXPECT_EQ(c->intermediate_size, 5120);
  EXPECT_EQ(c->out_hidden_size, 1536);
}

TEST(VisionConfig, ErrorsNameTheKey) {
  auto s = parse_hf_vision_config(R"({"model_type": "qwen2_5_vl"})", "cfg.json").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("vision_config"));
  s = parse_hf_vision_config(R"({"model_type": "qwen2_5_vl", "vision_config": {"depth": 2, "hidden_size": 64,
      "num_heads": 4, "out_hidden_size": 32}})", "cfg.json").status();
  EXPECT_THAT(s.message(), HasSubstr("vision_config.intermediate_size"));
  s = parse_hf_vision_config(R"({"model_type": "llava", "vision_config": {}})", "cfg.json").status();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);

  // An mmproj with a Qwen2.5-VL projector but no n_wa_pattern.
  testing::GgufWriter w;
  w.add_string("general.architecture", "clip");
  w.add_string("clip.projector_type", "qwen2.5vl_merger");
  for (const char* k : {"clip.vision.embedding_length", "clip.vision.feed_forward_length", "clip.vision.block_count",
                        "clip.vision.attention.head_count", "clip.vision.patch_size", "clip.vision.projection_dim"})
    w.add_scalar<uint32_t>(k, testing::GgufWriter::kU32, 16);
  const auto bytes = w.finish();
  auto f = gguf::GgufFile::parse(bytes, "mmproj.gguf");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  s = vision_config_from_gguf(**f).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("clip.vision.n_wa_pattern"));
}

class VisionHfCopy : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("mms_vision_hf_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string gguf() const { return test_data(std::string("tiny-") + GetParam() + "-mmproj-f32.gguf"); }
  vision_testing::TestImage image() const {
    return load_image(std::string("ref/tiny-") + GetParam() + ".exact.image_input.npy");
  }
  std::vector<float> encode_gguf() const {
    auto enc = load_vision_encoder_gguf(gguf());
    EXPECT_TRUE(enc.ok()) << enc.status().to_string();
    return encode(**enc, {image().input()})[0];
  }
  fs::path dir_;
};

TEST_P(VisionHfCopy, SameEmbeddingAsGguf) {
  const auto want = encode_gguf();
  for (const char* prefix : {"visual.", "model.visual."}) {
    vision_testing::HfCopyOptions o;
    o.prefix = prefix;
    vision_testing::write_hf_copy(gguf(), dir_, o);
    auto enc = load_vision_encoder(dir_.string());
    ASSERT_TRUE(enc.ok()) << enc.status().to_string();
    EXPECT_EQ((*enc)->config().projector, std::string(GetParam()) == "qwen2vl" ? "qwen2vl_merger" : "qwen2.5vl_merger");
    const auto got = encode(**enc, {image().input()})[0];
    ASSERT_EQ(got.size(), want.size());
    EXPECT_LE(max_abs_diff(got.data(), want.data(), want.size()), 1e-6f) << prefix;
  }
}

TEST_P(VisionHfCopy, HalfPrecisionWeights) {
  const auto want = encode_gguf();
  for (const char* dtype : {"F16", "BF16"}) {
    vision_testing::HfCopyOptions o;
    o.dtype = dtype;
    vision_testing::write_hf_copy(gguf(), dir_, o);
    auto enc = load_vision_encoder_hf(dir_.string());
    ASSERT_TRUE(enc.ok()) << enc.status().to_string();
    const auto got = encode(**enc, {image().input()})[0];
    ASSERT_EQ(got.size(), want.size());
    const float diff = max_abs_diff(got.data(), want.data(), want.size());
    std::cout << "[vision " << GetParam() << "] " << dtype << " weights vs f32: max |diff| " << diff << "\n";
    EXPECT_LE(diff, std::string(dtype) == "F16" ? 2e-3f : 2e-2f);
  }
}

TEST_P(VisionHfCopy, MissingTensorIsNamed) {
  vision_testing::HfCopyOptions o;
  o.omit = "blocks.1.attn.proj.weight";
  vision_testing::write_hf_copy(gguf(), dir_, o);
  auto s = load_vision_encoder_hf(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("visual.blocks.1.attn.proj.weight"));
}

TEST_P(VisionHfCopy, BadShapeIsNamed) {
  vision_testing::HfCopyOptions o;
  o.misshape = "merger.mlp.0.weight";
  vision_testing::write_hf_copy(gguf(), dir_, o);
  auto s = load_vision_encoder_hf(dir_.string()).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("visual.merger.mlp.0.weight"));
  EXPECT_THAT(s.message(), HasSubstr("[512, 512]"));
}

TEST_P(VisionHfCopy, PreprocessorConfigMeanAndStd) {
  vision_testing::write_hf_copy(gguf(), dir_);
  ASSERT_TRUE(testing::write_text((dir_ / "preprocessor_config.json").string(),
                                  R"({"image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.5, 1.0], "patch_size": 14})"));
  auto enc = load_vision_encoder_hf(dir_.string());
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  EXPECT_FLOAT_EQ((*enc)->config().image_mean[0], 0.5f);
  EXPECT_FLOAT_EQ((*enc)->config().image_std[1], 0.5f);
  ASSERT_TRUE(testing::write_text((dir_ / "preprocessor_config.json").string(), R"({"merge_size": 4})"));
  EXPECT_THAT(load_vision_encoder_hf(dir_.string()).status().message(), HasSubstr("merge_size"));
}

INSTANTIATE_TEST_SUITE_P(Tiny, VisionHfCopy, ::testing::Values("qwen2vl", "qwen25vl"),
                         [](const auto& info) { return std::string(info.param); });

TEST(VisionGgufLoader, NotAnMmproj) {
  auto s = load_vision_encoder_gguf(test_data("tiny-qwen2-f32.gguf")).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("clip"));
}

TEST(VisionDummy, RandomWeightsAtAConfigsSize) {
  // The 3B tower's shape, narrowed to 2 layers and 64-wide heads so the test stays small.
  auto text = read_file(test_data("qwen2.5-vl-3b-instruct.config.json"));
  ASSERT_TRUE(text.ok());
  auto c = parse_hf_vision_config(*text, "config.json");
  ASSERT_TRUE(c.ok());
  c->num_layers = 2;
  c->hidden_size = 256;
  c->num_heads = 4;
  c->intermediate_size = 512;
  c->out_hidden_size = 128;
  c->fullatt_block_indexes = {1};
  auto enc = make_dummy_vision_encoder(*c, DType::kBF16, 7);
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  std::vector<float> px(3 * 112 * 168, 0.25f);
  const auto out = encode(**enc, {VisionInput{px, 1, 112, 168}});
  ASSERT_EQ(out[0].size(), static_cast<size_t>(4 * 6 * 128));
  for (float v : out[0]) ASSERT_TRUE(std::isfinite(v));
  // Same seed, same weights, same output.
  auto again = make_dummy_vision_encoder(*c, DType::kBF16, 7);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(encode(**again, {VisionInput{px, 1, 112, 168}}), out);
  // Through the dispatching loader: a config.json with load format dummy (full 3B size is too big for a unit
  // test, so only the error path of a missing file here).
  LoadOptions dummy;
  dummy.load_format = LoadFormat::kDummy;
  EXPECT_EQ(load_vision_encoder("/nonexistent/config.json", dummy).status().code(), StatusCode::kNotFound);
}

TEST(VisionEncoderGrid, GridOfRejectsBadSizes) {
  auto enc = load_vision_encoder_gguf(test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  ASSERT_TRUE(enc.ok());
  const VisionEncoder& e = **enc;
  auto g = e.grid_of(1, 168, 252);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, (VisionGrid{1, 12, 18}));
  EXPECT_EQ(e.num_output_tokens(*g), 54);
  g = e.grid_of(6, 28, 56);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, (VisionGrid{3, 2, 4}));
  EXPECT_EQ(e.num_output_tokens(*g), 6);
  for (auto [f, h, w] : {std::tuple{1, 14, 28}, {1, 28, 42}, {1, 0, 28}, {1, -28, 28}, {0, 28, 28}, {3, 28, 28},
                        {-2, 28, 28}, {1, 28, int64_t{1} << 20}}) {
    EXPECT_EQ(e.grid_of(f, h, w).status().code(), StatusCode::kInvalidArgument) << f << " " << h << " " << w;
  }
}

}  // namespace
}  // namespace mms
