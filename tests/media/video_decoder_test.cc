#include "media/video_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "media/video_sampling.h"
#include "video_test_util.h"

namespace mms::media {
namespace {

using testing::clip_options;
using testing::decode_frames;
using testing::frame_indices_of;

struct Codec {
  const char* encoder;
  const char* container;
};

class VideoDecoderCodecTest : public ::testing::TestWithParam<Codec> {};

// 40 frames at 10 fps, a keyframe every 10: fps 2 samples 8 frames, two per GOP.
TEST_P(VideoDecoderCodecTest, DecodesExactlyTheSampledFramesInOrderOnEveryPath) {
  const Codec c = GetParam();
  if (!mms::testing::video_encoder_available(c.encoder)) GTEST_SKIP() << c.encoder << " not in this FFmpeg";
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(40), clip_options(c.encoder, c.container));
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->num_frames(), 40);
  EXPECT_EQ(info->width, 160);
  EXPECT_EQ(info->height, 96);
  EXPECT_NEAR(info->fps, 10.0, 1e-6);
  auto plan = plan_video_sampling(*info, VideoSamplingOptions{}, {}, 2);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const std::vector<int64_t> expected = {0, 6, 11, 17, 22, 28, 33, 39};
  ASSERT_EQ(plan->frame_indices, expected);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(plan->timestamps_s[i] - plan->timestamps_s[0], expected[i] / 10.0, 1e-3) << i;
  }
  EXPECT_NEAR(plan->second_per_grid_t, 1.0, 1e-9);  // 8 of 40 frames at 10 fps: 2 fps, 2 frames per patch

  auto sequential = decode_frames(*clip, *info, plan->frame_indices, 1);
  ASSERT_TRUE(sequential.ok()) << sequential.status().to_string();
  EXPECT_EQ(frame_indices_of(*sequential), std::vector<int>(expected.begin(), expected.end()));
  for (int workers : {2, 3}) {
    auto parallel = decode_frames(*clip, *info, plan->frame_indices, workers);
    ASSERT_TRUE(parallel.ok()) << parallel.status().to_string();
    ASSERT_EQ(parallel->size(), sequential->size());
    for (size_t i = 0; i < parallel->size(); ++i) {
      EXPECT_EQ((*parallel)[i].pixels, (*sequential)[i].pixels) << "workers " << workers << " frame " << i;
    }
  }
}

// Every frame, so B-frame reordering and GOP boundaries are all crossed.
TEST_P(VideoDecoderCodecTest, EveryFrameComesOutOnceInPresentationOrder) {
  const Codec c = GetParam();
  if (!mms::testing::video_encoder_available(c.encoder)) GTEST_SKIP() << c.encoder << " not in this FFmpeg";
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(24), clip_options(c.encoder, c.container, 10, 8));
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  ASSERT_EQ(info->num_frames(), 24);
  std::vector<int64_t> all(24);
  std::vector<int> expected(24);
  for (int i = 0; i < 24; ++i) all[static_cast<size_t>(i)] = expected[static_cast<size_t>(i)] = i;
  for (int workers : {1, 2}) {
    auto frames = decode_frames(*clip, *info, all, workers);
    ASSERT_TRUE(frames.ok()) << frames.status().to_string();
    EXPECT_EQ(frame_indices_of(*frames), expected) << "workers " << workers;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, VideoDecoderCodecTest,
    ::testing::Values(Codec{"libx264", "mp4"}, Codec{"libx264", "matroska"}, Codec{"libx264", "mov"},
                      Codec{"libx265", "mp4"}, Codec{"libx265", "matroska"}, Codec{"libvpx-vp9", "webm"},
                      Codec{"libvpx", "webm"}, Codec{"libaom-av1", "webm"}, Codec{"libsvtav1", "mp4"},
                      Codec{"mpeg4", "mov"}, Codec{"ffv1", "matroska"}),
    [](const ::testing::TestParamInfo<Codec>& p) {
      std::string name = std::string(p.param.encoder) + "_" + p.param.container;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(VideoDecoderTest, SkippingUnsampledNonReferenceFramesChangesNoSampledFrame) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(40), clip_options("libx264", "mp4"));
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok());
  const std::vector<int64_t> indices = {1, 3, 6, 13, 25, 26, 38, 39};
  auto skipping = decode_frames(*clip, *info, indices, 1, /*skip_nonref=*/true);
  auto full = decode_frames(*clip, *info, indices, 1, /*skip_nonref=*/false);
  ASSERT_TRUE(skipping.ok() && full.ok());
  ASSERT_EQ(skipping->size(), indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    EXPECT_EQ((*skipping)[i].pixels, (*full)[i].pixels) << i;
    EXPECT_EQ(mms::testing::read_frame_index((*skipping)[i]), indices[i]);
  }
}

// x265's default open GOP: a CRA keyframe's leading pictures come after it in decode order but before
// it on screen, and reference the previous GOP; they must be decoded from the previous keyframe.
TEST(VideoDecoderTest, OpenGopLeadingPicturesDecodeFromThePreviousKeyframe) {
  if (!mms::testing::video_encoder_available("libx265")) GTEST_SKIP() << "libx265 not in this FFmpeg";
  mms::testing::VideoClipOptions o = clip_options("libx265", "matroska", 10, 8);
  o.force_keyframes = false;  // a forced keyframe closes the GOP; x265's own keyint placement does not
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(24), o);
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  int64_t leading = -1, key = -1;
  for (size_t k = 1; k < info->keyframes.size() && leading < 0; ++k) {
    for (int64_t i = 0; i < info->num_frames(); ++i) {
      const VideoFrameEntry& f = info->frames[static_cast<size_t>(i)];
      if (f.decode_index > info->keyframes[k].decode_index && f.pts < info->keyframes[k].pts) {
        leading = i;
        key = static_cast<int64_t>(k);
        break;
      }
    }
  }
  if (leading < 0) GTEST_SKIP() << "this x265 wrote no leading pictures";
  const std::vector<int64_t> indices = {leading};
  const std::vector<VideoSegment> segments = plan_video_segments(*info, indices);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_LT(segments[0].keyframe, key);
  auto frames = decode_frames(*clip, *info, indices, 1);
  ASSERT_TRUE(frames.ok()) << frames.status().to_string();
  EXPECT_EQ(mms::testing::read_frame_index((*frames)[0]), leading);
}

TEST(VideoDecoderTest, LosslessClipGivesBackTheExactPixels) {
  std::vector<RgbImage> frames = mms::testing::make_indexed_frames(6, 160, 96);
  for (size_t i = 0; i < frames.size(); ++i) {  // noise, so nothing but exact decoding passes
    for (size_t p = 0; p < frames[i].pixels.size(); p += 7) frames[i].pixels[p] = static_cast<uint8_t>(p * 31 + i * 17);
  }
  auto clip = mms::testing::encode_lossless_video(frames, 2);
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  ASSERT_EQ(info->num_frames(), 6);
  EXPECT_EQ(info->keyframes.size(), 6u);
  auto decoded = decode_frames(*clip, *info, {0, 1, 2, 3, 4, 5}, 2);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ((*decoded)[i].pixels, frames[i].pixels) << i;
}

TEST(VideoDecoderTest, SegmentsStartAtTheKeyframeBeforeEachRun) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(40), clip_options("libx264", "mp4"));
  ASSERT_TRUE(clip.ok());
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->keyframes.size(), 4u);
  const std::vector<int64_t> indices = {0, 6, 11, 17, 22, 28, 33, 39};
  const std::vector<VideoSegment> segments = plan_video_segments(*info, indices);
  ASSERT_EQ(segments.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(segments[k].keyframe, static_cast<int64_t>(k));
    EXPECT_EQ(segments[k].slots, (std::vector<int64_t>{static_cast<int64_t>(2 * k), static_cast<int64_t>(2 * k + 1)}));
    // Through the later (in decode order) of the segment's two frames.
    const int64_t last = std::max(info->frames[indices[2 * k]].decode_index, info->frames[indices[2 * k + 1]].decode_index);
    EXPECT_EQ(segments[k].num_packets, last - info->keyframes[k].decode_index + 1);
    EXPECT_LE(segments[k].num_packets, 10);
  }
  // Frames of one GOP only: one segment.
  EXPECT_EQ(plan_video_segments(*info, std::vector<int64_t>{21, 23, 29}).size(), 1u);
}

TEST(VideoDecoderTest, RejectsBadIndices) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(10), clip_options("libx264", "mp4"));
  ASSERT_TRUE(clip.ok());
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(decode_frames(*clip, *info, {3, 2}, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_frames(*clip, *info, {10}, 1).status().code(), StatusCode::kInvalidArgument);
}

// Damaged data: an error or substituted frames, never a crash; every path agrees.
TEST(VideoDecoderTest, CorruptPacketsAreSurvivedTheSameWayOnEveryPath) {
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(40), clip_options("libx264", "matroska"));
  ASSERT_TRUE(clip.ok());
  std::vector<uint8_t> bad = *clip;
  for (size_t i = bad.size() / 3; i < bad.size() * 2 / 3; i += 13) bad[i] ^= 0x5a;
  auto info = probe_video(bad);
  if (!info.ok()) {
    EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
    return;
  }
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < info->num_frames(); i += 3) indices.push_back(i);
  auto one = decode_frames(bad, *info, indices, 1);
  auto two = decode_frames(bad, *info, indices, 2);
  ASSERT_EQ(one.ok(), two.ok());
  if (one.ok()) {
    ASSERT_EQ(one->size(), two->size());
    for (size_t i = 0; i < one->size(); ++i) EXPECT_EQ((*one)[i].pixels, (*two)[i].pixels) << i;
  }
}

}  // namespace
}  // namespace mms::media
