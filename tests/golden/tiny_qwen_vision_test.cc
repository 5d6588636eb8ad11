// Golden tests: the tiny Qwen2-VL and Qwen2.5-VL vision towers (GGUF mmproj fixtures) on the fixtures' test images
// against llama.cpp's image embeddings (tolerance max |diff| <= 2e-3: llama.cpp's merger GELU is the tanh form
// from an fp16 table, ours the exact erf form Hugging Face uses) and, for Qwen2.5-VL, against a float64 NumPy
// implementation of the Hugging Face definition (<= 1e-4, expected ~1e-6).
#include <gtest/gtest.h>

#include <iostream>

#include "model/vision/vision_encoder.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using testing::load_npy_f32;
using testing::max_abs_diff;
using testing::test_data;

// Encodes the [3, H, W] normalized image of `input_npy` with the mmproj at `gguf`.
std::vector<float> encode(const std::string& gguf, const std::string& input_npy, int64_t* rows) {
  auto enc = load_vision_encoder_gguf(test_data(gguf));
  EXPECT_TRUE(enc.ok()) << enc.status().to_string();
  if (!enc.ok()) return {};
  const testing::NpyArray image = load_npy_f32(test_data(input_npy));
  EXPECT_EQ(image.shape.size(), 3u);
  if (image.shape.size() != 3) return {};
  VisionInput in{image.data, 1, image.shape[1], image.shape[2]};
  auto job = (*enc)->start(std::span<const VisionInput>(&in, 1));
  EXPECT_TRUE(job.ok()) << job.status().to_string();
  if (!job.ok()) return {};
  EXPECT_TRUE((*job)->run_to_completion());
  const auto out = (*job)->output(0);
  *rows = static_cast<int64_t>(out.size()) / (*enc)->config().out_hidden_size;
  return std::vector<float>(out.begin(), out.end());
}

TEST(TinyQwen2VlVision, MatchesLlamaCppImageEmbedding) {
  int64_t rows = 0;
  const auto got = encode("tiny-qwen2vl-mmproj-f32.gguf", "ref/tiny-qwen2vl.exact.image_input.npy", &rows);
  const auto want = load_npy_f32(test_data("ref/tiny-qwen2vl.exact.image_embd.npy"));
  ASSERT_EQ(want.shape, (std::vector<int64_t>{15, 256}));
  ASSERT_EQ(got.size(), want.data.size());
  EXPECT_EQ(rows, 15);
  const float diff = max_abs_diff(got.data(), want.data.data(), got.size());
  std::cout << "[qwen2vl vision] max |diff| vs llama.cpp: " << diff << "\n";
  EXPECT_LE(diff, 2e-3f);
}

TEST(TinyQwen25VlVision, MatchesHfDefinitionAndLlamaCpp) {
  int64_t rows = 0;
  const auto got = encode("tiny-qwen25vl-mmproj-f32.gguf", "ref/tiny-qwen25vl.exact.image_input.npy", &rows);
  const auto hf = load_npy_f32(test_data("ref/tiny-qwen25vl.exact.numpy-hf.image_embd.npy"));
  const auto llama = load_npy_f32(test_data("ref/tiny-qwen25vl.exact.image_embd.npy"));
  ASSERT_EQ(hf.shape, (std::vector<int64_t>{54, 256}));
  ASSERT_EQ(got.size(), hf.data.size());
  ASSERT_EQ(got.size(), llama.data.size());
  EXPECT_EQ(rows, 54);
  const float diff_hf = max_abs_diff(got.data(), hf.data.data(), got.size());
  const float diff_llama = max_abs_diff(got.data(), llama.data.data(), got.size());
  std::cout << "[qwen2.5vl vision] max |diff| vs NumPy HF definition: " << diff_hf << ", vs llama.cpp: " << diff_llama
            << "\n";
  EXPECT_LE(diff_hf, 1e-4f);
  EXPECT_LE(diff_llama, 2e-3f);
}

}  // namespace
}  // namespace mms
