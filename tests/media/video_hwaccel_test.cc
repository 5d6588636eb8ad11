#include "media/video_hwaccel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "media/video_decoder.h"
#include "media/video_sampling.h"
#include "video_test_util.h"

namespace mms::media {
namespace {

TEST(VideoHwaccel, ParsesTheThreeModesAndNamesThemOnError) {
  EXPECT_EQ(*parse_video_hwaccel("none"), VideoHwaccel::kNone);
  EXPECT_EQ(*parse_video_hwaccel("auto"), VideoHwaccel::kAuto);
  EXPECT_EQ(*parse_video_hwaccel("cuda"), VideoHwaccel::kCuda);
  for (VideoHwaccel m : {VideoHwaccel::kNone, VideoHwaccel::kAuto, VideoHwaccel::kCuda}) {
    EXPECT_EQ(*parse_video_hwaccel(video_hwaccel_name(m)), m);
  }
  auto bad = parse_video_hwaccel("nvdec");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("none, auto or cuda"), std::string::npos) << bad.status().to_string();
  EXPECT_NE(bad.status().message().find("'nvdec'"), std::string::npos);
}

TEST(VideoHwaccel, NoneOpensNothing) {
  std::string why;
  auto d = open_hw_decode_device(VideoHwaccel::kNone, &why);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, nullptr);
  EXPECT_TRUE(why.empty());
}

// On a machine without an NVIDIA driver and GPU (CI), auto falls back to the CPU saying why and cuda is an
// error; with one, both give the device.
TEST(VideoHwaccel, AutoFallsBackAndCudaFailsClearlyWithoutADevice) {
  std::string why;
  auto automatic = open_hw_decode_device(VideoHwaccel::kAuto, &why);
  ASSERT_TRUE(automatic.ok()) << automatic.status().to_string();
  auto cuda = open_hw_decode_device(VideoHwaccel::kCuda);
  if (*automatic) {
    EXPECT_TRUE(why.empty());
    ASSERT_TRUE(cuda.ok()) << cuda.status().to_string();
    EXPECT_NE(*cuda, nullptr);
    EXPECT_STREQ((*cuda)->name(), "cuda");
  } else {
    EXPECT_NE(why.find("no CUDA device"), std::string::npos) << why;
    ASSERT_FALSE(cuda.ok());
    EXPECT_EQ(cuda.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(cuda.status().message().find("libcuda.so.1"), std::string::npos) << cuda.status().to_string();
  }
}

// H.264 decoding is bit-exact by specification, so NVDEC's frames equal libavcodec's before colour
// conversion; after it (NV12 instead of planar 4:2:0 into the converter) they may differ by a rounding step.
TEST(VideoHwaccel, DeviceDecodesTheSameFramesAsTheCpu) {
  auto device = open_hw_decode_device(VideoHwaccel::kAuto);
  ASSERT_TRUE(device.ok());
  if (!*device) GTEST_SKIP() << "no CUDA device";
  if (!mms::testing::video_encoder_available("libx264")) GTEST_SKIP() << "libx264 not in this FFmpeg";
  auto clip = mms::testing::encode_video_clip(mms::testing::make_indexed_frames(40),
                                              testing::clip_options("libx264", "mp4"));
  ASSERT_TRUE(clip.ok()) << clip.status().to_string();
  auto info = probe_video(*clip);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  auto plan = plan_video_sampling(*info, VideoSamplingOptions{}, {}, 2);
  ASSERT_TRUE(plan.ok());
  auto cpu = testing::decode_frames(*clip, *info, plan->frame_indices, 1);
  ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
  for (int workers : {1, 2}) {
    auto gpu = testing::decode_frames(*clip, *info, plan->frame_indices, workers, true, *device);
    ASSERT_TRUE(gpu.ok()) << gpu.status().to_string();
    ASSERT_EQ(gpu->size(), cpu->size());
    EXPECT_EQ(testing::frame_indices_of(*gpu), testing::frame_indices_of(*cpu));
    for (size_t i = 0; i < cpu->size(); ++i) {
      const auto& a = (*gpu)[i].pixels;
      const auto& b = (*cpu)[i].pixels;
      ASSERT_EQ(a.size(), b.size());
      int worst = 0;
      for (size_t j = 0; j < a.size(); ++j) worst = std::max(worst, std::abs(int{a[j]} - int{b[j]}));
      EXPECT_LE(worst, 2) << "workers " << workers << " frame " << i;
    }
  }
}

}  // namespace
}  // namespace mms::media
