// VideoArgs: the video options of `mmserve serve` (sampling defaults a request may override, and limits),
// shared by the command line (tools/serve.cc) and the media start-up (tools/media_setup.h). Plain values.
#pragma once

#include <cstdint>
#include <string>

namespace mms::tools {

// Video input (--video-* / --max-video-*): sampling defaults a request may override, and limits.
struct VideoArgs {
  int64_t max_videos_per_request = 2;        // --max-videos-per-request (0: video parts rejected)
  int64_t max_video_bytes = int64_t{256} << 20;  // encoded container bytes (files, http; data: URLs also
                                                 // stay within --max-body-bytes)
  double max_video_duration_s = 600;         // container duration
  int64_t max_video_frames = 768;            // sampled frames after fps / max_frames
  int64_t max_video_source_pixels = 3840 * 2160;  // decoded frame width x height before resizing
  int64_t max_video_decode_pixels = 40'000'000'000;  // frames through the decoder x source pixels
  int64_t video_frames_in_flight = 64;       // decoded frames held at once while decoding one video
  int video_decode_workers = 2;              // decoders one video is split across (at keyframes)
  std::string video_hwaccel = "none";        // --video-hwaccel none|auto|cuda (NVDEC through FFmpeg)
  double video_fps = 2.0;                    // frames sampled per second (qwen-vl-utils FPS)
  int64_t video_min_frames = 4;
  int64_t video_max_frames = 768;
  int64_t video_min_pixels = 128 * 28 * 28;  // per frame
  int64_t video_max_pixels = 768 * 28 * 28;  // per frame
  int64_t video_total_pixels = 90316800;     // over all frames (qwen-vl-utils: int(128000 * 28 * 28 * 0.9))
};

}  // namespace mms::tools
