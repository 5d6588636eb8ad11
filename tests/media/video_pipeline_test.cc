#include "media/video_pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media/media_test_util.h"
#include "media/qwen2vl_preprocess.h"
#include "video_test_util.h"

namespace mms::media {
namespace {

using testing::clip_options;

std::vector<uint8_t> h264_clip(int frames = 40, int fps = 10, int gop = 10) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(frames), clip_options("libx264", "mp4", fps, gop));
  EXPECT_TRUE(clip.ok()) << clip.status().to_string();
  return clip.ok() ? *clip : std::vector<uint8_t>{};
}

VideoPipelineOptions small_options() {
  VideoPipelineOptions o;
  o.sampling.min_pixels = 56 * 56;  // keep the 160x96 test frames small after resizing
  return o;
}

TEST(VideoPipelineTest, ProducesAVideoItemWithTemporalPatchesAndSecondsPerPatch) {
  const std::vector<uint8_t> clip = h264_clip();
  VideoPipeline pipeline(small_options());
  auto item = pipeline.process_bytes(clip);
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  const MediaItem& m = **item;
  EXPECT_EQ(m.kind, MediaKind::kVideo);
  EXPECT_EQ(m.num_frames, 8);  // 4 s at 2 fps
  EXPECT_EQ(m.grid_t, 4);
  EXPECT_DOUBLE_EQ(m.second_per_grid_t, 1.0);
  EXPECT_EQ(m.source_width, 160);
  EXPECT_EQ(m.source_height, 96);
  auto size = qwen2vl_smart_resize(96, 160, 28, 56 * 56, 768 * 28 * 28);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(m.height, size->height);
  EXPECT_EQ(m.width, size->width);
  EXPECT_EQ(m.grid_h, m.height / 14);
  EXPECT_EQ(m.grid_w, m.width / 14);
  EXPECT_EQ(m.num_tokens, m.grid_t * m.grid_h * m.grid_w / 4);
  EXPECT_EQ(m.frames.size(), static_cast<size_t>(8 * 3 * m.height * m.width));
}

// A video frame and the identical image preprocess identically: a lossless clip of known frames gives
// exactly qwen2vl_preprocess_frames' floats for the sampled source frames.
TEST(VideoPipelineTest, LosslessFramesPreprocessExactlyLikeImages) {
  std::vector<RgbImage> frames = mms::testing::make_indexed_frames(12, 160, 96);
  auto clip = mms::testing::encode_lossless_video(frames, 2);  // 6 s at 2 fps: every frame sampled
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  VideoPipelineOptions o = small_options();
  VideoPipeline pipeline(o);
  auto item = pipeline.process_bytes(*clip);
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  ASSERT_EQ((*item)->num_frames, 12);
  EXPECT_DOUBLE_EQ((*item)->second_per_grid_t, 1.0);
  Qwen2VLOverrides bounds;
  bounds.min_pixels = o.sampling.min_pixels;
  bounds.max_pixels = 768 * 28 * 28;
  auto reference = qwen2vl_preprocess_frames(frames, o.qwen2vl, bounds);
  ASSERT_TRUE(reference.ok()) << reference.status().to_string();
  EXPECT_EQ(reference->height, (*item)->height);
  EXPECT_EQ(reference->width, (*item)->width);
  EXPECT_TRUE(reference->frames == (*item)->frames);
  EXPECT_FALSE(reference->hash == (*item)->hash);  // the video's key also covers the sampling
}

TEST(VideoPipelineTest, ParallelAndSequentialGiveTheSameItem) {
  const std::vector<uint8_t> clip = h264_clip(60, 10, 10);
  VideoPipelineOptions o = small_options();
  o.decode_workers = 1;
  auto sequential = VideoPipeline(o).process_bytes(clip);
  o.decode_workers = 3;
  auto parallel = VideoPipeline(o).process_bytes(clip);
  o.limits.max_frames_in_flight = 1;  // caps the workers at one
  auto capped = VideoPipeline(o).process_bytes(clip);
  ASSERT_TRUE(sequential.ok() && parallel.ok() && capped.ok());
  EXPECT_TRUE((*sequential)->frames == (*parallel)->frames);
  EXPECT_EQ((*sequential)->hash, (*parallel)->hash);
  EXPECT_EQ((*sequential)->hash, (*capped)->hash);
}

TEST(VideoPipelineTest, HashCoversFramesAndSampling) {
  const std::vector<uint8_t> clip = h264_clip();
  VideoPipeline pipeline(small_options());
  auto a = pipeline.process_bytes(clip);
  auto b = pipeline.process_bytes(clip);
  VideoOverrides slower;
  slower.fps = 1.0;
  auto c = pipeline.process_bytes(clip, slower);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)->hash, (*b)->hash);
  EXPECT_FALSE((*a)->hash == (*c)->hash);
  EXPECT_EQ((*c)->num_frames, 4);
  EXPECT_DOUBLE_EQ((*c)->second_per_grid_t, 2.0);
}

TEST(VideoPipelineTest, DataUrlsAndDeclaredTypes) {
  const std::vector<uint8_t> clip = h264_clip(20);
  VideoPipeline pipeline(small_options());
  auto item = pipeline.process("data:video/mp4;base64," + testing::b64(clip));
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  EXPECT_EQ((*item)->num_frames, 4);
  auto wrong = pipeline.process("data:image/png;base64," + testing::b64(clip));
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
}

void expect_limit(const StatusOr<std::shared_ptr<const MediaItem>>& r, const std::string& name) {
  ASSERT_FALSE(r.ok()) << name;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
  EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(" by "), std::string::npos) << r.status().message();
}

TEST(VideoPipelineTest, LimitsAreCheckedBeforeDecodingAndSayByHowMuch) {
  const std::vector<uint8_t> clip = h264_clip();  // 4 s, 160x96, 8 sampled frames
  VideoPipelineOptions o = small_options();
  o.limits.max_bytes = static_cast<int64_t>(clip.size()) - 1;
  expect_limit(VideoPipeline(o).process_bytes(clip), "max_bytes");
  o = small_options();
  o.limits.max_duration_s = 3.5;
  expect_limit(VideoPipeline(o).process_bytes(clip), "max_duration_s");
  o = small_options();
  o.limits.max_source_pixels = 160 * 95;
  expect_limit(VideoPipeline(o).process_bytes(clip), "max_source_pixels");
  o = small_options();
  o.limits.max_sampled_frames = 6;
  expect_limit(VideoPipeline(o).process_bytes(clip), "max_sampled_frames");
  o = small_options();
  o.limits.max_decode_pixels = 160 * 96 * 10;  // needs at least 2 frames per GOP x 4 GOPs
  expect_limit(VideoPipeline(o).process_bytes(clip), "max_decode_pixels");
}

TEST(VideoPipelineTest, BadBytesAreInvalidArgument) {
  VideoPipeline pipeline(small_options());
  EXPECT_EQ(pipeline.process_bytes({}).status().code(), StatusCode::kInvalidArgument);
  const std::vector<uint8_t> png = testing::media_file("src/pipeline_70x45_default.png");
  EXPECT_EQ(pipeline.process_bytes(png).status().code(), StatusCode::kInvalidArgument);
  const std::vector<uint8_t> clip = h264_clip(20);
  std::vector<uint8_t> cut(clip.begin(), clip.begin() + static_cast<std::ptrdiff_t>(clip.size() / 3));
  EXPECT_EQ(pipeline.process_bytes(cut).status().code(), StatusCode::kInvalidArgument);
  // A one-frame video has fewer frames than a temporal patch.
  auto one = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(1), clip_options("libx264", "mp4"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(pipeline.process_bytes(*one).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms::media
