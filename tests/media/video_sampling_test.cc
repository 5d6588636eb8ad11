#include "media/video_sampling.h"

#include <gtest/gtest.h>

#include <vector>

namespace mms::media {
namespace {

VideoInfo synthetic_video(int64_t frames, double fps) {
  VideoInfo info;
  info.width = 640;
  info.height = 360;
  info.fps = fps;
  info.time_base_num = 1;
  info.time_base_den = 1000;
  for (int64_t i = 0; i < frames; ++i) {
    info.frames.push_back({static_cast<int64_t>(i * 1000 / fps), 0, i, i % 30 == 0});
  }
  info.keyframes.push_back(info.frames[0]);
  return info;
}

int64_t nframes(int64_t total, double video_fps, VideoSamplingOptions s = {}, bool request_max = false) {
  auto n = qwen_smart_nframes(total, video_fps, s, request_max, 2);
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  return n.ok() ? *n : -1;
}

// Values worked by hand from qwen-vl-utils' smart_nframes.
TEST(VideoSamplingTest, SmartNframesFollowsQwenVlUtils) {
  EXPECT_EQ(nframes(300, 30), 20);       // 10 s at 2 fps
  EXPECT_EQ(nframes(301, 30), 20);       // 20.07 -> floor to 20
  EXPECT_EQ(nframes(317, 30), 20);       // 21.13 -> floor to the temporal patch: 20
  EXPECT_EQ(nframes(5, 10), 4);          // 1 frame at 2 fps, raised to min_frames 4
  EXPECT_EQ(nframes(3, 10), 2);          // min_frames, but no more than the video has (floor to 2)
  EXPECT_EQ(nframes(36000, 30), 768);    // 20 minutes: max_frames
  VideoSamplingOptions s;
  s.fps = 0.5;
  EXPECT_EQ(nframes(600, 30, s), 10) << "fps 0.5 over 20 s";
  EXPECT_EQ(nframes(60, 30, s), 4);      // 1 frame, min_frames 4
  s.min_frames = 3;                      // ceil to 4
  EXPECT_EQ(nframes(60, 30, s), 4);
  VideoSamplingOptions m;
  m.max_frames = 7;                      // floor to 6
  EXPECT_EQ(nframes(300, 30, m), 6);
  m.max_frames = 1000;                   // a request's max_frames is not capped by the length first
  EXPECT_EQ(nframes(30, 30, m, true), 4);
  EXPECT_EQ(qwen_smart_nframes(1, 30, {}, false, 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(VideoSamplingTest, LinspaceIndicesRoundHalfToEvenInFloat32) {
  EXPECT_EQ(qwen_linspace_indices(30, 6), (std::vector<int64_t>{0, 6, 12, 17, 23, 29}));
  EXPECT_EQ(qwen_linspace_indices(40, 8), (std::vector<int64_t>{0, 6, 11, 17, 22, 28, 33, 39}));
  EXPECT_EQ(qwen_linspace_indices(6, 3), (std::vector<int64_t>{0, 2, 5}));  // 2.5 -> 2
  EXPECT_EQ(qwen_linspace_indices(8, 3), (std::vector<int64_t>{0, 4, 7}));  // 3.5 -> 4
  EXPECT_EQ(qwen_linspace_indices(4, 4), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(VideoSamplingTest, PlanSpreadsTheTotalPixelBudgetOverFrames) {
  const VideoInfo info = synthetic_video(300, 30);
  auto plan = plan_video_sampling(info, {}, {}, 2);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->frame_indices.size(), 20u);
  EXPECT_DOUBLE_EQ(plan->sample_fps, 2.0);
  EXPECT_DOUBLE_EQ(plan->second_per_grid_t, 1.0);
  EXPECT_EQ(plan->frame_pixels.max_pixels, 768 * 28 * 28);  // 90316800 / 20 * 2 is above VIDEO_MAX_PIXELS
  EXPECT_EQ(plan->frame_pixels.min_pixels, 128 * 28 * 28);
  EXPECT_NEAR(plan->timestamps_s[1], plan->frame_indices[1] / 30.0, 1e-3);

  VideoOverrides ov;
  ov.total_pixels = 20 * 200000;  // 200000 * 2 per frame
  plan = plan_video_sampling(info, {}, ov, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->frame_pixels.max_pixels, 400000);
  ov.total_pixels = 1000000;       // 100000 per frame is under int(min_pixels * 1.05)
  plan = plan_video_sampling(info, {}, ov, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->frame_pixels.max_pixels, static_cast<int64_t>(128 * 28 * 28 * 1.05));
  ov.max_pixels = 90000;           // a request's max_pixels only lowers it
  plan = plan_video_sampling(info, {}, ov, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->frame_pixels.max_pixels, 90000);
}

TEST(VideoSamplingTest, OverridesChangeTheSampleAndAreRangeChecked) {
  const VideoInfo info = synthetic_video(300, 30);
  VideoOverrides ov;
  ov.fps = 1.0;
  auto plan = plan_video_sampling(info, {}, ov, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->frame_indices.size(), 10u);
  EXPECT_DOUBLE_EQ(plan->second_per_grid_t, 2.0);
  ov.fps = 0;
  plan = plan_video_sampling(info, {}, ov, 2);
  ASSERT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("fps"), std::string::npos);
  VideoOverrides frames;
  frames.max_frames = 0;
  EXPECT_EQ(plan_video_sampling(info, {}, frames, 2).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms::media
