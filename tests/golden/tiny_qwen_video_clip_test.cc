// The exact check of the video path, through a real container: the fixture image repeated 2k times,
// losslessly encoded (FFV1 RGB in Matroska, made at test time by FFmpeg's encoder), decoded and sampled by
// media::VideoPipeline, preprocessed and encoded by the tiny Qwen2-VL / Qwen2.5-VL towers, gives k copies of
// the image's embedding (the llama.cpp references of the image golden tests), and the MediaItem carries the
// temporal grid and second_per_grid_t that M-RoPE reads.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <iterator>

#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_pipeline.h"
#include "model/vision/vision_encoder.h"
#include "testing/test_data.h"
#include "testing/video/video_clip_writer.h"

namespace mms {
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

struct ClipCase {
  const char* mmproj;
  const char* image;
  const char* ref_embd;
  int64_t image_tokens;
};

class LosslessStillClip : public ::testing::TestWithParam<ClipCase> {};

TEST_P(LosslessStillClip, GivesKCopiesOfTheImageEmbedding) {
  const ClipCase& c = GetParam();
  if (!testing::video_encoder_available("ffv1")) GTEST_SKIP() << "FFmpeg has no FFV1 encoder";
  auto enc = load_vision_encoder_gguf(test_data(c.mmproj));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  const int64_t O = (*enc)->config().out_hidden_size;
  const auto ref = load_npy_f32(test_data(c.ref_embd));
  ASSERT_EQ(static_cast<int64_t>(ref.data.size()), c.image_tokens * O);
  const media::RgbImage image = load_png(c.image);
  ASSERT_GT(image.width, 0);

  // The image's own embedding through the image preprocessing, for the exact comparison.
  auto still = media::qwen2vl_preprocess_image(image, media::Qwen2VLImageOptions{});
  ASSERT_TRUE(still.ok());
  VisionInput still_in{still->frames, still->num_frames, still->height, still->width};
  auto still_job = (*enc)->start(std::span<const VisionInput>(&still_in, 1));
  ASSERT_TRUE(still_job.ok());
  (*still_job)->run_to_completion();
  const auto image_embd = (*still_job)->output(0);

  media::VideoPipelineOptions po;
  po.qwen2vl.patch_size = (*enc)->config().patch_size;
  po.qwen2vl.merge_size = (*enc)->config().spatial_merge_size;
  const media::VideoPipeline pipeline(po);
  media::VideoOverrides o;
  o.min_pixels = 56 * 56;  // the image processor's bound: the video default (128 x 28 x 28) would upscale
  for (int k : {1, 2, 3}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    const std::vector<media::RgbImage> frames(static_cast<size_t>(2 * k), image);
    auto clip = testing::encode_lossless_video(frames, /*fps=*/2);
    ASSERT_TRUE(clip.ok()) << clip.status().to_string();
    auto item = pipeline.process_bytes(*clip, o);  // sampled at 2 fps: every frame
    ASSERT_TRUE(item.ok()) << item.status().to_string();
    const media::MediaItem& v = **item;
    EXPECT_EQ(v.kind, media::MediaKind::kVideo);
    ASSERT_EQ(v.num_frames, 2 * k);
    ASSERT_EQ(v.height, image.height);
    ASSERT_EQ(v.width, image.width);
    EXPECT_EQ(v.grid_t, k);
    EXPECT_EQ(v.num_tokens, k * c.image_tokens);
    EXPECT_DOUBLE_EQ(v.second_per_grid_t, 1.0);  // 2 frames per temporal patch at 2 fps
    // The decoded, preprocessed frames are the image's pixels exactly.
    for (int64_t f = 0; f < v.num_frames; ++f) {
      ASSERT_EQ(max_abs_diff(v.frames.data() + f * still->frames.size(), still->frames.data(), still->frames.size()),
                0.0f)
          << "frame " << f;
    }
    VisionInput in{v.frames, v.num_frames, v.height, v.width};
    auto job = (*enc)->start(std::span<const VisionInput>(&in, 1));
    ASSERT_TRUE(job.ok()) << job.status().to_string();
    (*job)->run_to_completion();
    const auto out = (*job)->output(0);
    ASSERT_EQ(static_cast<int64_t>(out.size()), k * c.image_tokens * O);
    for (int64_t t = 0; t < k; ++t) {
      const float* copy = out.data() + t * c.image_tokens * O;
      const float vs_image = max_abs_diff(copy, image_embd.data(), image_embd.size());
      const float vs_ref = max_abs_diff(copy, ref.data.data(), ref.data.size());
      std::cout << "[" << c.mmproj << " lossless clip] " << 2 * k << " frames, pair " << t << ": max |diff| vs image "
                << vs_image << ", vs llama.cpp " << vs_ref << "\n";
      EXPECT_LE(vs_image, 1e-5f);
      EXPECT_LE(vs_ref, 2e-3f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    TinyQwen, LosslessStillClip,
    ::testing::Values(ClipCase{"tiny-qwen2vl-mmproj-f32.gguf", "test-image-140x84.png",
                               "ref/tiny-qwen2vl.exact.image_embd.npy", 15},
                      ClipCase{"tiny-qwen25vl-mmproj-f32.gguf", "test-image-252x168.png",
                               "ref/tiny-qwen25vl.exact.image_embd.npy", 54}),
    [](const ::testing::TestParamInfo<ClipCase>& info) { return info.index == 0 ? "Qwen2Vl" : "Qwen25Vl"; });

}  // namespace
}  // namespace mms
