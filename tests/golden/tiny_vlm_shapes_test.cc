// The bundled model (models/tiny-qwen25vl-shapes) against the PyTorch model it was trained with
// (tools/tiny_vlm/model.py, itself checked against the fixtures' llama.cpp / NumPy-HF references by
// tools/tiny_vlm/check_model.py). tools/tiny_vlm/export.py rebuilt that model from the shipped
// model.safetensors and dumped, for one scene PNG and question, the rendered prompt, its token ids, the
// preprocessed pixels, the image embedding and the logits of every prompt row (tests/data/ref/
// tiny-qwen25vl-shapes.*). mmserve must agree at each stage, starting from the PNG bytes: chat template,
// tokenizer, decode + smart resize + Pillow bicubic + normalize, vision tower, decoder with M-RoPE.
// Tolerances (f32 everywhere): pixels 1e-5, image embedding 1e-4, logits 1e-3 absolute; the measured
// differences are printed (expected ~1e-6 / ~1e-5 / ~1e-5).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "exec/batch_builder.h"
#include "exec/kv_storage.h"
#include "exec/sampler.h"
#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "model/causal_lm.h"
#include "model/chat_template/chat_template.h"
#include "model/model_loader.h"
#include "model/mrope_positions.h"
#include "model/tokenizer/tokenizer.h"
#include "model/vision/vision_encoder.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using mms::testing::load_json;

using testing::load_npy_f32;
using testing::max_abs_diff;
using testing::test_data;

constexpr float kPixelTolerance = 1e-5f;
constexpr float kEmbeddingTolerance = 1e-4f;
constexpr float kLogitTolerance = 1e-3f;

const std::string kRef = "ref/tiny-qwen25vl-shapes.";

std::string model_dir() { return test_data("../../models/tiny-qwen25vl-shapes"); }


class TinyVlmShapes : public ::testing::Test {
 protected:
  void SetUp() override {
    ref_ = load_json(test_data(kRef + "json"));
    auto files = load_model(model_dir());
    ASSERT_TRUE(files.ok()) << files.status().to_string();
    files_ = std::move(*files);
    ASSERT_EQ(files_.config.architecture, "Qwen2_5_VLForConditionalGeneration");
    ASSERT_TRUE(files_.tokenizer);
    auto lm = create_causal_lm(files_.config, *files_.weights);
    ASSERT_TRUE(lm.ok()) << lm.status().to_string();
    lm_ = std::move(*lm);
  }

  nlohmann::json ref_;
  LoadedModel files_;
  std::unique_ptr<CausalLm> lm_;
};

TEST_F(TinyVlmShapes, ChatTemplateAndTokenizerMatchPython) {
  auto tmpl = ChatTemplate::parse(files_.chat_template);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
  auto prompt = tmpl->render(ref_["messages"].dump(), /*add_generation_prompt=*/true, {});
  ASSERT_TRUE(prompt.ok()) << prompt.status().to_string();
  EXPECT_EQ(*prompt, ref_["prompt"].get<std::string>());
  EXPECT_EQ(files_.tokenizer->encode(*prompt), ref_["prompt_ids_unexpanded"].get<std::vector<int32_t>>());
  // Every phrase of the synthetic task (and a few strings beyond it) gets the Python tokenizer's ids.
  int cases = 0;
  for (const auto& c : ref_["tokenizer_cases"]) {
    const std::string text = c[0].get<std::string>();
    EXPECT_EQ(files_.tokenizer->encode(text), c[1].get<std::vector<int32_t>>()) << text;
    ++cases;
  }
  EXPECT_GT(cases, 100);
  // The answer the reference model gives decodes to the recorded text.
  const auto answer = ref_["greedy_answer_ids"].get<std::vector<int32_t>>();
  EXPECT_EQ(files_.tokenizer->decode(answer, /*skip_special=*/true), ref_["greedy_answer"].get<std::string>());
}

TEST_F(TinyVlmShapes, ImageToLogitsMatchPyTorch) {
  const ModelConfig& c = lm_->config();
  // Decode + preprocess the PNG as the server does.
  std::ifstream in(test_data(kRef + "png"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto image = media::decode_image(bytes);
  ASSERT_TRUE(image.ok()) << image.status().to_string();
  auto options = media::load_qwen2vl_preprocessor_config(model_dir() + "/preprocessor_config.json");
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  auto item = media::qwen2vl_preprocess_image(*image, *options);
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  const auto grid = ref_["grid_thw"].get<std::vector<int64_t>>();
  ASSERT_EQ(item->grid_h, grid[1]);
  ASSERT_EQ(item->grid_w, grid[2]);
  const auto pixels = load_npy_f32(test_data(kRef + "image_input.npy"));
  ASSERT_EQ(pixels.data.size(), item->frames.size());
  const float d_pixels = max_abs_diff(item->frames.data(), pixels.data.data(), pixels.data.size());

  // Vision tower from the HF directory.
  auto encoder = load_vision_encoder_hf(model_dir());
  ASSERT_TRUE(encoder.ok()) << encoder.status().to_string();
  VisionInput vin{item->frames, 1, item->height, item->width};
  auto job = (*encoder)->start(std::span<const VisionInput>(&vin, 1));
  ASSERT_TRUE(job.ok()) << job.status().to_string();
  ASSERT_TRUE((*job)->run_to_completion());
  const auto embd = (*job)->output(0);
  const auto want_embd = load_npy_f32(test_data(kRef + "image_embd.npy"));
  ASSERT_EQ(embd.size(), want_embd.data.size());
  const float d_embd = max_abs_diff(embd.data(), want_embd.data.data(), embd.size());

  // Decoder over the expanded prompt, mmserve's own image rows in place of the placeholders.
  const auto ids = ref_["prompt_ids"].get<std::vector<int32_t>>();
  const int64_t offset = ref_["image_offset"].get<int64_t>();
  const int64_t rows = ref_["image_rows"].get<int64_t>();
  ASSERT_EQ(rows, item->num_tokens);
  ASSERT_EQ(ids[offset], *c.image_token_id);
  const int64_t T = static_cast<int64_t>(ids.size());
  const int32_t block = 16;
  const int32_t num_blocks = static_cast<int32_t>((T + block - 1) / block);
  KvStorage kv({c.num_hidden_layers, num_blocks, block, static_cast<int32_t>(c.num_key_value_heads),
                static_cast<int32_t>(c.head_dim), DType::kF32});
  std::vector<kernels::PagedKvLayer> layers;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layers.push_back(kv.layer(l));
  std::vector<int32_t> table(num_blocks);
  for (int32_t i = 0; i < num_blocks; ++i) table[i] = i;
  BatchBuilder builder(block);
  builder.add({ids, 0, table, LogitsWanted::kAll});
  ForwardBatch b = builder.build();
  MropeMediaSpan span;
  span.offset = offset;
  span.grid_h = item->grid_h;
  span.grid_w = item->grid_w;
  const MropeMediaSpan spans[] = {span};
  std::vector<int32_t> mrope(static_cast<size_t>(3 * T));
  ASSERT_TRUE(compute_mrope_positions_slice(spans, mrope_rule(c), 0, T, mrope.data(), T).ok());
  b.mrope_positions = mrope;
  const EmbeddingOverride image_rows[] = {{static_cast<int32_t>(offset), static_cast<int32_t>(rows), embd.data()}};
  b.embedding_overrides = image_rows;
  std::vector<float> logits(static_cast<size_t>(T * c.vocab_size));
  lm_->forward(b, layers, logits.data());
  const auto want = load_npy_f32(test_data(kRef + "logits.npy"));
  ASSERT_EQ(want.shape, (std::vector<int64_t>{T, c.vocab_size}));
  const float d_logits = max_abs_diff(logits.data(), want.data.data(), logits.size());
  float max_logit = 0;
  for (float v : want.data) max_logit = std::max(max_logit, std::abs(v));

  std::cout << "[tiny-qwen25vl-shapes] max |diff| vs PyTorch: pixels " << d_pixels << ", image embedding " << d_embd
            << ", logits " << d_logits << " (max |logit| " << max_logit << ", " << T << " rows x " << c.vocab_size
            << ")\n";
  EXPECT_LE(d_pixels, kPixelTolerance);
  EXPECT_LE(d_embd, kEmbeddingTolerance);
  EXPECT_LE(d_logits, kLogitTolerance);
  // The first answer token is the reference's greedy choice.
  const auto answer = ref_["greedy_answer_ids"].get<std::vector<int32_t>>();
  if (!answer.empty()) {
    EXPECT_EQ(argmax(std::span<const float>(logits).last(c.vocab_size)), answer[0]);
  }
}

}  // namespace
}  // namespace mms
