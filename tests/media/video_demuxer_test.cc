#include "media/video_demuxer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "video_test_util.h"

namespace mms::media {
namespace {

using testing::clip_options;

TEST(VideoDemuxerTest, ProbesFramesTimestampsAndKeyframesWithoutDecoding) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(30), clip_options("libx264", "mp4", 10, 10));
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_NE(info->container.find("mp4"), std::string::npos);
  EXPECT_EQ(info->codec, "h264");
  EXPECT_EQ(info->width, 160);
  EXPECT_EQ(info->height, 96);
  EXPECT_NEAR(info->fps, 10.0, 1e-9);
  EXPECT_NEAR(info->duration_s, 3.0, 0.01);
  ASSERT_EQ(info->num_frames(), 30);
  ASSERT_EQ(info->keyframes.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(info->find_pts(info->keyframes[k].pts), static_cast<int64_t>(10 * k)) << k;  // forced keyframes
  }
  for (int64_t i = 1; i < info->num_frames(); ++i) {
    const double dt = info->seconds(info->frames[i].pts) - info->seconds(info->frames[i - 1].pts);
    EXPECT_NEAR(dt, 0.1, 1e-6) << i;
  }
  // B-frames: decode order differs from presentation order somewhere.
  bool reordered = false;
  for (int64_t i = 0; i < info->num_frames(); ++i) reordered |= info->frames[i].decode_index != i;
  EXPECT_TRUE(reordered);
}

TEST(VideoDemuxerTest, ProbesMatroskaTimestampsInMilliseconds) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(12), clip_options("libx264", "matroska", 4, 6));
  ASSERT_TRUE(clip.ok());
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->time_base_den, 1000);
  ASSERT_EQ(info->num_frames(), 12);
  for (int64_t i = 0; i < 12; ++i) EXPECT_NEAR(info->seconds(info->frames[i].pts), i * 0.25, 1e-3);
  EXPECT_EQ(info->keyframes.size(), 2u);
}

TEST(VideoDemuxerTest, RejectsNonVideoBytes) {
  EXPECT_EQ(probe_video({}).status().code(), StatusCode::kInvalidArgument);
  const std::string text = "this is not a video container at all, just some text to probe ...........";
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  EXPECT_EQ(probe_video(bytes).status().code(), StatusCode::kInvalidArgument);
  // A PNG signature: an image, not a video container (and not on the demuxer whitelist).
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  EXPECT_EQ(probe_video(png).status().code(), StatusCode::kInvalidArgument);
}

TEST(VideoDemuxerTest, TruncatedContainersAreInvalidArgumentOrFewerFrames) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(20), clip_options("libx264", "matroska"));
  ASSERT_TRUE(clip.ok());
  for (size_t keep : {size_t{16}, size_t{200}, clip->size() / 2, clip->size() - 7}) {
    std::vector<uint8_t> cut(clip->begin(), clip->begin() + static_cast<std::ptrdiff_t>(keep));
    auto info = probe_video(cut);
    if (info.ok()) {
      EXPECT_LE(info->num_frames(), 20) << keep;
    } else {
      EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument) << keep << ": " << info.status().to_string();
    }
  }
  // An MP4 cut before its index (moov is written at the end): nothing to play.
  auto mp4 = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(20), clip_options("libx264", "mp4"));
  ASSERT_TRUE(mp4.ok());
  std::vector<uint8_t> cut(mp4->begin(), mp4->begin() + static_cast<std::ptrdiff_t>(mp4->size() / 2));
  EXPECT_EQ(probe_video(cut).status().code(), StatusCode::kInvalidArgument);
}

TEST(VideoDemuxerTest, DurationOverTheLimitIsRejectedFromTheHeader) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(30), clip_options("libx264", "mp4", 10, 10));
  ASSERT_TRUE(clip.ok());
  VideoProbeOptions o;
  o.max_duration_s = 2.0;
  auto info = probe_video(*clip, o);
  ASSERT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find("max_duration_s"), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find(" by 1"), std::string::npos) << info.status().message();
  o.max_duration_s = 10;
  o.max_packets = 5;
  EXPECT_NE(probe_video(*clip, o).status().message().find("max_packets"), std::string::npos);
}

}  // namespace
}  // namespace mms::media
