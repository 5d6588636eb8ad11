// The Qwen2-VL / Qwen2.5-VL language model through every loading path: Hugging Face checkpoint
// directories in the published layout (model.layers.*, visual.*) and in newer transformers' layout
// (model.language_model.*, model.visual.*, text_config), built here from the tiny GGUF's tensors, must
// give the GGUF's logits exactly; and dummy weights on the published Qwen2.5-VL-3B config build the
// decoder and run a multimodal batch. The golden tests hold the numbers against llama.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/mapped_file.h"
#include "exec/batch_builder.h"
#include "exec/kv_storage.h"
#include "model/causal_lm.h"
#include "model/dummy/dummy_weights.h"
#include "model/model_loader.h"
#include "model/mrope_positions.h"
#include "testing/safetensors_writer.h"
#include "testing/test_data.h"

namespace mms {
namespace {

namespace fs = std::filesystem;
using mms::testing::test_data;

// A text prompt with one 2x3 (merged) image at rows 3..8, and its image rows' embeddings.
struct MmPrompt {
  std::vector<int32_t> tokens;
  MropeMediaSpan span{.offset = 3, .grid_t = 1, .grid_h = 4, .grid_w = 6};
  std::vector<float> image;  // [6, hidden]
};

MmPrompt make_prompt(const ModelConfig& c) {
  MmPrompt p;
  const int32_t start = c.vision_start_token_id.value_or(1), pad = c.image_token_id.value_or(2);
  const int32_t end = c.vision_end_token_id.value_or(3);
  p.tokens = {10, 20, start, pad, pad, pad, pad, pad, pad, end, 30, 40};
  std::mt19937 rng(5);
  p.image = mms::testing::random_floats(rng, static_cast<size_t>(6 * c.hidden_size), -0.05f, 0.05f);
  return p;
}

// Logits of every row of the prompt, image rows overridden, M-RoPE positions from the span.
std::vector<float> run_prompt(CausalLm& lm, const MmPrompt& p) {
  const ModelConfig& c = lm.config();
  const int64_t T = static_cast<int64_t>(p.tokens.size());
  KvStorage kv({c.num_hidden_layers, 2, 16, static_cast<int32_t>(c.num_key_value_heads),
                static_cast<int32_t>(c.head_dim), DType::kF32});
  std::vector<kernels::PagedKvLayer> layers;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layers.push_back(kv.layer(l));
  const std::vector<int32_t> table = {1};
  BatchBuilder b(16);
  b.add({p.tokens, 0, table, LogitsWanted::kAll});
  ForwardBatch batch = b.build();
  auto positions = compute_mrope_positions(T, std::span(&p.span, 1), mrope_rule(c));
  EXPECT_TRUE(positions.ok()) << positions.status().to_string();
  batch.mrope_positions = positions->positions;
  const EmbeddingOverride image[] = {{3, 6, p.image.data()}};
  batch.embedding_overrides = image;
  std::vector<float> logits(T * c.vocab_size);
  lm.forward(batch, layers, logits.data());
  return logits;
}

std::string text_fields_json() {
  return R"("vocab_size":2112,"hidden_size":256,"intermediate_size":704,"num_hidden_layers":2,
    "num_attention_heads":8,"num_key_value_heads":2,"max_position_embeddings":32768,"rms_norm_eps":1e-06,
    "hidden_act":"silu","torch_dtype":"float32","tie_word_embeddings":true)";
}

class VlCheckpointDir : public ::testing::TestWithParam<bool> {  // param: newer transformers' layout
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / (std::string("mms_vl_ckpt_") + (GetParam() ? "new" : "published"));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes config.json, model.safetensors (the GGUF's tensors under HF names, plus a vision tensor the
  // decoder must ignore) and the tiny tokenizer.
  void write_checkpoint(const WeightStore& gguf) {
    const bool newer = GetParam();
    std::string config;
    const std::string ids = R"("image_token_id":2060,"video_token_id":2061,"vision_start_token_id":2057,
      "vision_end_token_id":2058,"bos_token_id":2048,"eos_token_id":2050)";
    const std::string vision = R"("vision_config":{"spatial_merge_size":2,"tokens_per_second":2,"depth":4})";
    if (newer) {
      config = R"({"architectures":["Qwen2_5_VLForConditionalGeneration"],"model_type":"qwen2_5_vl",)" + ids +
               "," + vision + R"(,"text_config":{)" + text_fields_json() +
               R"(,"rope_parameters":{"rope_type":"default","mrope_section":[4,6,6],"rope_theta":1000000.0}}})";
    } else {
      config = R"({"architectures":["Qwen2_5_VLForConditionalGeneration"],"model_type":"qwen2_5_vl",)" + ids +
               "," + vision + "," + text_fields_json() +
               R"(,"rope_theta":1000000.0,"rope_scaling":{"type":"mrope","mrope_section":[4,6,6]}})";
    }
    ASSERT_TRUE(mms::testing::write_text((dir_ / "config.json").string(), config));
    mms::testing::SafetensorsWriter w;
    for (const std::string& name : gguf.names()) {
      auto t = gguf.get(name);
      ASSERT_TRUE(t.ok());
      ASSERT_EQ(t->dtype, DType::kF32);
      std::vector<float> v(static_cast<size_t>(t->numel()));
      std::memcpy(v.data(), t->data, t->nbytes());
      std::vector<int64_t> shape(t->shape.dims.begin(), t->shape.dims.begin() + t->shape.ndim);
      std::string stored = name;
      if (newer && name.rfind("model.", 0) == 0) stored = "model.language_model." + name.substr(6);
      w.add_f32(stored, shape, v);
    }
    w.add_f32(newer ? "model.visual.merger.mlp.0.bias" : "visual.merger.mlp.0.bias", {4}, {1, 2, 3, 4});
    ASSERT_TRUE(mms::testing::write_bytes((dir_ / "model.safetensors").string(), w.finish()));
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::copy_file(test_data(std::string("tiny-qwen2-hf/") + f), dir_ / f);
    }
  }

  fs::path dir_;
};

TEST_P(VlCheckpointDir, LoadsLikeTheGguf) {
  auto g = load_model(test_data("tiny-qwen2vl-f32.gguf"));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  write_checkpoint(*g->weights);
  auto h = load_model(dir_.string());
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  const ModelConfig& gc = g->config;
  const ModelConfig& hc = h->config;
  EXPECT_EQ(hc.architecture, "Qwen2_5_VLForConditionalGeneration");
  EXPECT_EQ(hc.num_hidden_layers, gc.num_hidden_layers);
  EXPECT_EQ(hc.head_dim, gc.head_dim);
  EXPECT_EQ(hc.rope_theta, gc.rope_theta);
  EXPECT_EQ(hc.rms_norm_eps, gc.rms_norm_eps);
  EXPECT_EQ(hc.mrope_section, gc.mrope_section);
  EXPECT_EQ(hc.tie_word_embeddings, gc.tie_word_embeddings);
  EXPECT_EQ(hc.attention_bias, gc.attention_bias);
  EXPECT_EQ(hc.image_token_id, gc.image_token_id);
  EXPECT_EQ(hc.video_token_id, gc.video_token_id);
  EXPECT_EQ(hc.vision_start_token_id, gc.vision_start_token_id);
  EXPECT_EQ(hc.vision_end_token_id, gc.vision_end_token_id);
  EXPECT_EQ(hc.mrope_spatial_merge_size, gc.mrope_spatial_merge_size);
  EXPECT_EQ(hc.mrope_tokens_per_second, 2.0);  // the GGUF cannot tell Qwen2.5-VL from Qwen2-VL: 0 there
  EXPECT_EQ(gc.mrope_tokens_per_second, 0.0);

  auto glm = create_causal_lm(gc, *g->weights);
  auto hlm = create_causal_lm(hc, *h->weights);
  ASSERT_TRUE(glm.ok()) << glm.status().to_string();
  ASSERT_TRUE(hlm.ok()) << hlm.status().to_string();
  const MmPrompt p = make_prompt(gc);
  EXPECT_EQ(run_prompt(**glm, p), run_prompt(**hlm, p));
}

INSTANTIATE_TEST_SUITE_P(Layouts, VlCheckpointDir, ::testing::Bool(),
                         [](const auto& info) { return info.param ? std::string("Newer") : std::string("Published"); });

// --load-format dummy on Qwen2.5-VL-3B's published config: the decoder builds at its real shapes (one
// layer here, to keep the test small) and runs a batch with an image; the image rows change the logits.
TEST(Qwen2VlDummy, Qwen25Vl3bConfigBuildsAndRuns) {
  auto text = read_file(test_data("qwen2.5-vl-3b-instruct.config.json"));
  ASSERT_TRUE(text.ok());
  auto c = parse_hf_config(*text, "qwen2.5-vl-3b-instruct.config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  c->num_hidden_layers = 1;
  c->dtype = DType::kBF16;
  auto w = make_dummy_weights(*c, DType::kBF16, 1, "dummy:3b");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  auto lm = create_causal_lm(*c, **w);
  ASSERT_TRUE(lm.ok()) << lm.status().to_string();
  MmPrompt p = make_prompt(*c);
  EXPECT_EQ(p.tokens[3], 151655);
  const auto a = run_prompt(**lm, p);
  for (float v : a) ASSERT_TRUE(std::isfinite(v));
  for (float& v : p.image) v = -v;
  const auto b = run_prompt(**lm, p);
  const int64_t V = c->vocab_size;
  // Rows before the image are unchanged (causal), rows from the image on see it.
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 3 * V, b.begin()));
  EXPECT_FALSE(std::equal(a.begin() + 3 * V, a.begin() + 4 * V, b.begin() + 3 * V));
}

}  // namespace
}  // namespace mms
