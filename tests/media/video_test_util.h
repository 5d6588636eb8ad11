// Helpers for the video tests: encoding an indexed clip (skipping when the encoder is missing) and
// decoding chosen frames into a vector.
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "media/video_decoder.h"
#include "media/video_demuxer.h"
#include "testing/video/video_clip_writer.h"

namespace mms::media::testing {

// Fast settings per encoder so a 160x96 clip of a few dozen frames encodes in milliseconds.
inline mms::testing::VideoClipOptions clip_options(const std::string& encoder, const std::string& container,
                                                   int fps = 10, int gop = 10) {
  mms::testing::VideoClipOptions o;
  o.encoder = encoder;
  o.container = container;
  o.fps = fps;
  o.gop = gop;
  // B-frames always (b-adapt off), so decode order differs from presentation order.
  if (encoder == "libx264") o.codec_options = {{"preset", "veryfast"}, {"x264-params", "b-adapt=0:scenecut=0:log=-1"}};
  // x265 keeps its default open GOP (it shows only where x265 places the keyframes: force_keyframes off).
  if (encoder == "libx265") o.codec_options = {{"preset", "ultrafast"}, {"x265-params", "log-level=none:b-adapt=0"}};
  if (encoder == "libvpx" || encoder == "libvpx-vp9") {
    o.codec_options = {{"deadline", "realtime"}, {"cpu-used", "8"}, {"b", "1000000"}};
  }
  if (encoder == "libaom-av1") o.codec_options = {{"cpu-used", "8"}, {"usage", "realtime"}, {"b", "1000000"}};
  if (encoder == "libsvtav1") o.codec_options = {{"preset", "12"}, {"svtav1-params", "lp=1"}};
  if (encoder == "mpeg4") o.codec_options = {{"b", "2000000"}};
  return o;
}

// Collects decoded frames by slot.
struct CollectedFrames {
  std::mutex mu;
  std::vector<RgbImage> frames;
  VideoFrameSink sink() {
    return [this](int64_t slot, const RgbImage& f) {
      std::lock_guard<std::mutex> lock(mu);
      if (frames.size() <= static_cast<size_t>(slot)) frames.resize(static_cast<size_t>(slot) + 1);
      frames[static_cast<size_t>(slot)] = f;
      return ok_status();
    };
  }
};

inline StatusOr<std::vector<RgbImage>> decode_frames(const std::vector<uint8_t>& clip, const VideoInfo& info,
                                                     const std::vector<int64_t>& indices, int workers,
                                                     bool skip_nonref = true,
                                                     std::shared_ptr<const HwDecodeDevice> hw_device = nullptr) {
  CollectedFrames c;
  VideoDecodeOptions o;
  o.workers = workers;
  o.skip_unsampled_nonref = skip_nonref;
  o.hw_device = std::move(hw_device);
  MMS_RETURN_IF_ERROR(decode_video_frames(clip, info, indices, o, c.sink()));
  return std::move(c.frames);
}

inline std::vector<int> frame_indices_of(const std::vector<RgbImage>& frames) {
  std::vector<int> out;
  for (const RgbImage& f : frames) out.push_back(mms::testing::read_frame_index(f));
  return out;
}

}  // namespace mms::media::testing
