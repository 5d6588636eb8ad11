// The one call the server's preprocessing pool makes per video: fetch (data:/file/http) -> probe the
// container -> plan which frames Qwen2.5-VL samples -> decode only those (split across workers at keyframe
// boundaries) -> Qwen2-VL preprocess -> shared immutable MediaItem (kind kVideo, second_per_grid_t set,
// hash over the sampled frames and the sampling parameters). Like ImagePipeline: holds only options;
// process() is const and thread-safe.
//
// This header is the contract between the video decoder (media/video_*) and its users (server, engine);
// the implementation lives in video_pipeline.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "common/status.h"
#include "media/media_item.h"
#include "media/media_source.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_hwaccel.h"

namespace mms::media {

// Frame sampling as qwen-vl-utils (vision_process.py: smart_nframes, fetch_video) does it for Qwen2.5-VL:
//   nframes = floor2(min(max(total_frames / video_fps * fps, ceil2(min_frames)), floor2(max_frames), total_frames))
//   indices = round_half_even(linspace(0, total_frames - 1, nframes)); sample_fps = nframes / total_frames * video_fps
// where floor2/ceil2 round to the temporal patch size (2) and max_frames defaults to min(max_frames,
// total_frames). Each frame's pixel bound (the smart_resize max_pixels) is
//   min(request max_pixels, max(min(max_pixels, total_pixels / nframes * 2), int(min_pixels * 1.05))).
// (video_sampling.h computes it.)
struct VideoSamplingOptions {
  double fps = 2.0;              // frames sampled per second of video (FPS)
  int64_t min_frames = 4;        // FPS_MIN_FRAMES
  int64_t max_frames = 768;      // FPS_MAX_FRAMES
  // Pixel budget spread over all sampled frames: qwen-vl-utils' VIDEO_TOTAL_PIXELS default,
  // int(128000 * 28 * 28 * 0.9) (a 128K-token context).
  int64_t total_pixels = 90316800;
  int64_t min_pixels = 128 * 28 * 28;  // per frame (VIDEO_MIN_PIXELS)
  int64_t max_pixels = 768 * 28 * 28;  // per frame (VIDEO_MAX_PIXELS)
};

// Per-request overrides (mm_processor_kwargs-style fields on a video part).
struct VideoOverrides {
  std::optional<double> fps;
  std::optional<int64_t> min_frames, max_frames;
  std::optional<int64_t> min_pixels, max_pixels, total_pixels;
};

// Checked after probing the container (headers + packet index, nothing decoded), before any decoding.
// An exceeded limit is an InvalidArgument naming the limit, the value and by how much it is over.
struct VideoLimits {
  int64_t max_bytes = 256LL << 20;          // encoded container size (replaces source.max_bytes for videos)
  double max_duration_s = 600.0;            // container duration
  int64_t max_source_pixels = 3840 * 2160;  // decoded frame size (width * height) before resizing
  int64_t max_sampled_frames = 768;         // after sampling
  // Work: frames that must go through the decoder (from each needed keyframe to the last sampled frame
  // after it) x source pixels. The default admits 10 minutes of 1080p at 30 fps decoded in full.
  int64_t max_decode_pixels = 40'000'000'000;
  // Decoded RGB frames held at once across all workers. Each worker holds one (converted, hashed,
  // resized into the output tensor, dropped), so this caps the number of workers.
  int64_t max_frames_in_flight = 64;
};

struct VideoPipelineOptions {
  MediaSourceOptions source;
  Qwen2VLImageOptions qwen2vl;  // patch/merge/temporal sizes, mean/std (the video processor shares them)
  VideoSamplingOptions sampling;
  VideoLimits limits;
  // Decoders used for one video (segments cut at keyframes; the calling thread is one of them, the others
  // are threads started per call). 1 = sequential. Each decoder is single-threaded.
  int decode_workers = 2;
  // Hardware decoding device (open_hw_decode_device); null: CPU decoders.
  std::shared_ptr<const HwDecodeDevice> hw_device;
};

class VideoPipeline {
 public:
  explicit VideoPipeline(VideoPipelineOptions options) : options_(std::move(options)) {}

  // `url` is an OpenAI-style video_url.url: data:video/...;base64,..., file://..., a path, or http(s)://.
  // Errors: InvalidArgument for a corrupt/truncated/unsupported container or codec, no video stream,
  // zero frames, or a limit exceeded (the message names the limit and by how much); the fetch errors of
  // fetch_media. Never crashes on bad bytes.
  StatusOr<std::shared_ptr<const MediaItem>> process(std::string_view url,
                                                     const VideoOverrides& overrides = {}) const;
  StatusOr<std::shared_ptr<const MediaItem>> process_bytes(std::span<const uint8_t> bytes,
                                                           const VideoOverrides& overrides = {}) const;

  const VideoPipelineOptions& options() const { return options_; }

 private:
  VideoPipelineOptions options_;
};

}  // namespace mms::media
