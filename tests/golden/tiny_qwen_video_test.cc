// Golden tests of the video compute path of the tiny Qwen2-VL and Qwen2.5-VL vision towers (GGUF mmproj
// fixtures): a clip whose 2k frames all equal the fixture image must give k copies of that image's embedding.
// Each frame pair is one temporal patch; a pair of identical frames embeds exactly as a still image (which the
// tower duplicates to the temporal patch); 2-D RoPE angles repeat per frame pair; Qwen2-VL attends within each
// frame pair, Qwen2.5-VL's window layers within windows of one frame pair and its full layers within the frame
// pair (HF cu_seqlens). So every frame pair reproduces the image, and the copies are checked against the
// image references the image golden tests use. The frames are built in memory and go through
// media::qwen2vl_preprocess_frames (the video preprocessing the pipeline uses).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "model/vision/vision_encoder.h"
#include "testing/test_data.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::tiny_qwen_video_test {
namespace {

using testing::load_npy_f32;
using testing::max_abs_diff;
using testing::test_data;

media::RgbImage load_png(const std::string& name) {
  std::ifstream in(test_data(name), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto img = media::decode_image(bytes);
  EXPECT_TRUE(img.ok()) << img.status().to_string();
  return img.ok() ? std::move(*img) : media::RgbImage{};
}

std::vector<float> encode(const VisionEncoder& enc, const media::MediaItem& item) {
  VisionInput in{item.frames, item.num_frames, item.height, item.width};
  auto job = enc.start(std::span<const VisionInput>(&in, 1));
  EXPECT_TRUE(job.ok()) << job.status().to_string();
  if (!job.ok()) return {};
  EXPECT_TRUE((*job)->run_to_completion());
  const auto out = (*job)->output(0);
  return std::vector<float>(out.begin(), out.end());
}

struct Case {
  const char* mmproj;
  const char* image;
  const char* ref_embd;  // llama.cpp's image embedding
  int64_t image_tokens;
  float tolerance;  // vs the reference (erf vs tanh GELU in the merger)
};

class VideoOfStillFrames : public ::testing::TestWithParam<Case> {};

TEST_P(VideoOfStillFrames, GivesOneCopyOfTheImageEmbeddingPerFramePair) {
  const Case& c = GetParam();
  auto enc = load_vision_encoder_gguf(test_data(c.mmproj));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  const int64_t O = (*enc)->config().out_hidden_size;
  const media::RgbImage image = load_png(c.image);
  ASSERT_GT(image.width, 0);
  const media::Qwen2VLImageOptions options;

  auto still = media::qwen2vl_preprocess_image(image, options);
  ASSERT_TRUE(still.ok()) << still.status().to_string();
  const std::vector<float> image_embd = encode(**enc, *still);
  ASSERT_EQ(static_cast<int64_t>(image_embd.size()), c.image_tokens * O);
  const auto ref = load_npy_f32(test_data(c.ref_embd));
  ASSERT_EQ(ref.data.size(), image_embd.size());

  // 2k frames (and 2k - 1, padded to 2k by repeating the last frame as the HF processor does).
  for (int64_t num_frames : {2, 4, 6, 5}) {
    SCOPED_TRACE("frames " + std::to_string(num_frames));
    const std::vector<media::RgbImage> frames(static_cast<size_t>(num_frames), image);
    auto video = media::qwen2vl_preprocess_frames(frames, options);
    ASSERT_TRUE(video.ok()) << video.status().to_string();
    const int64_t k = (num_frames + 1) / 2;
    EXPECT_EQ(video->kind, media::MediaKind::kVideo);
    EXPECT_EQ(video->num_frames, 2 * k);
    EXPECT_EQ(video->grid_t, k);
    EXPECT_EQ(video->num_tokens, k * c.image_tokens);
    ASSERT_TRUE((*enc)->grid_of(video->num_frames, video->height, video->width).ok());

    const std::vector<float> got = encode(**enc, *video);
    ASSERT_EQ(static_cast<int64_t>(got.size()), k * c.image_tokens * O);
    for (int64_t t = 0; t < k; ++t) {
      const float* copy = got.data() + t * c.image_tokens * O;
      const float vs_image = max_abs_diff(copy, image_embd.data(), image_embd.size());
      const float vs_ref = max_abs_diff(copy, ref.data.data(), ref.data.size());
      std::cout << "[" << c.mmproj << "] " << num_frames << " frames, pair " << t << ": max |diff| vs image "
                << vs_image << ", vs llama.cpp image " << vs_ref << "\n";
      EXPECT_LE(vs_image, 1e-5f) << "frame pair " << t;
      EXPECT_LE(vs_ref, c.tolerance) << "frame pair " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    TinyQwen, VideoOfStillFrames,
    ::testing::Values(Case{"tiny-qwen2vl-mmproj-f32.gguf", "test-image-140x84.png",
                           "ref/tiny-qwen2vl.exact.image_embd.npy", 15, 2e-3f},
                      Case{"tiny-qwen25vl-mmproj-f32.gguf", "test-image-252x168.png",
                           "ref/tiny-qwen25vl.exact.image_embd.npy", 54, 2e-3f}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.index == 0 ? "Qwen2Vl" : "Qwen25Vl"; });

// Qwen2.5-VL against the float64 NumPy implementation of the HF definition (<= 1e-4), through a 4-frame clip.
TEST(TinyQwen25VlVideo, StillClipMatchesHfDefinitionPerFramePair) {
  auto enc = load_vision_encoder_gguf(test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  const std::vector<media::RgbImage> frames(4, load_png("test-image-252x168.png"));
  auto video = media::qwen2vl_preprocess_frames(frames, media::Qwen2VLImageOptions{});
  ASSERT_TRUE(video.ok()) << video.status().to_string();
  const std::vector<float> got = encode(**enc, *video);
  const auto hf = load_npy_f32(test_data("ref/tiny-qwen25vl.exact.numpy-hf.image_embd.npy"));
  ASSERT_EQ(got.size(), 2 * hf.data.size());
  for (size_t t = 0; t < 2; ++t) {
    EXPECT_LE(max_abs_diff(got.data() + t * hf.data.size(), hf.data.data(), hf.data.size()), 1e-4f);
  }
}

// Different frame pairs must not attend to each other: a clip of two different images gives each image's
// own embedding in its frame pair (an attention leak across frame pairs would mix them).
TEST(TinyQwen25VlVideo, FramePairsAreEncodedIndependently) {
  auto enc = load_vision_encoder_gguf(test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  const media::RgbImage a = load_png("test-image-252x168.png");
  media::RgbImage b = a;
  for (auto& p : b.pixels) p = static_cast<uint8_t>(255 - p);
  const media::Qwen2VLImageOptions options;
  auto ia = media::qwen2vl_preprocess_image(a, options);
  auto ib = media::qwen2vl_preprocess_image(b, options);
  ASSERT_TRUE(ia.ok() && ib.ok());
  const std::vector<float> ea = encode(**enc, *ia), eb = encode(**enc, *ib);
  ASSERT_GT(max_abs_diff(ea.data(), eb.data(), ea.size()), 1e-2f);
  const std::vector<media::RgbImage> frames = {b, b, a, a};
  auto video = media::qwen2vl_preprocess_frames(frames, options);
  ASSERT_TRUE(video.ok()) << video.status().to_string();
  const std::vector<float> got = encode(**enc, *video);
  ASSERT_EQ(got.size(), 2 * ea.size());
  EXPECT_LE(max_abs_diff(got.data(), eb.data(), eb.size()), 1e-5f);
  EXPECT_LE(max_abs_diff(got.data() + ea.size(), ea.data(), ea.size()), 1e-5f);
}

}  // namespace
}  // namespace mms::tiny_qwen_video_test
