#include "media/video_pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

// Found by fuzz/video_decoder_fuzzer: a damaged MPEG-4 part 2 stream in MOV that decoded differently on
// one decoder reused across segments than on fresh ones. Each segment now gets fresh contexts.
TEST(VideoPipelineTest, DamagedStreamDecodesTheSameOnEveryPath) {
  const std::vector<uint8_t> bytes = testing::media_file("video/fuzz_mpeg4_mov_divergent_decoders.mov");
  VideoPipelineOptions o;
  o.limits.max_sampled_frames = 16;
  o.sampling.max_frames = 16;
  o.sampling.min_pixels = 28 * 28;
  o.sampling.max_pixels = 64 * 28 * 28;
  o.sampling.total_pixels = 256 * 28 * 28;
  o.decode_workers = 1;
  auto one = VideoPipeline(o).process_bytes(bytes);
  o.decode_workers = 2;
  auto two = VideoPipeline(o).process_bytes(bytes);
  ASSERT_EQ(one.ok(), two.ok());
  if (one.ok()) {
    EXPECT_TRUE((*one)->frames == (*two)->frames);
    EXPECT_EQ((*one)->hash, (*two)->hash);
  }
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

TEST(VideoPipelineTest, LocalFilesUnderTheAllowedDirectory) {
  const std::vector<uint8_t> clip = h264_clip(20);
  const std::string dir = ::testing::TempDir() + "/mms_video_pipeline_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/clip.mp4", std::ios::binary)
      .write(reinterpret_cast<const char*>(clip.data()), static_cast<std::streamsize>(clip.size()));
  VideoPipelineOptions o = small_options();
  o.source.allowed_local_dir = dir;
  auto item = VideoPipeline(o).process("file://" + dir + "/clip.mp4");
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  EXPECT_EQ((*item)->num_frames, 4);
  auto by_path = VideoPipeline(o).process("clip.mp4");
  ASSERT_TRUE(by_path.ok()) << by_path.status().to_string();
  EXPECT_EQ((*item)->hash, (*by_path)->hash);
  o.source.allowed_local_dir.clear();
  EXPECT_FALSE(VideoPipeline(o).process("file://" + dir + "/clip.mp4").ok());
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
  // A video stream without a single packet.
  mms::testing::VideoClipOptions empty = clip_options("libx264", "mp4");
  empty.width = 160;
  empty.height = 96;
  auto no_frames = mms::testing::encode_video_clip({}, empty);
  ASSERT_TRUE(no_frames.ok()) << no_frames.status().to_string();
  auto r = pipeline.process_bytes(*no_frames);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // (MP4's demuxer drops a track without samples from the candidates; Matroska's stops at the header.)
  EXPECT_TRUE(r.status().message().find("no frames") != std::string::npos ||
              r.status().message().find("no video stream") != std::string::npos)
      << r.status().message();
  // A one-frame video has fewer frames than a temporal patch.
  auto one = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(1), clip_options("libx264", "mp4"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(pipeline.process_bytes(*one).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms::media
