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

namespace mms::media {

// Frame sampling as qwen-vl-utils / transformers' Qwen2-VL video processor do it.
struct VideoSamplingOptions {
  double fps = 2.0;              // frames sampled per second of video
  int64_t min_frames = 4;
  int64_t max_frames = 768;
  // Pixel budget spread over all sampled frames (qwen-vl-utils VIDEO_TOTAL_PIXELS); each frame's
  // max_pixels is min(max_pixels, max(total_pixels / num_frames * temporal_patch, min_pixels)).
  int64_t total_pixels = 128000LL * 28 * 28;
  int64_t min_pixels = 128 * 28 * 28;  // per frame (VIDEO_MIN_PIXELS)
  int64_t max_pixels = 768 * 28 * 28;  // per frame (VIDEO_MAX_PIXELS)
};

// Per-request overrides (mm_processor_kwargs-style fields on a video part).
struct VideoOverrides {
  std::optional<double> fps;
  std::optional<int64_t> min_frames, max_frames;
  std::optional<int64_t> min_pixels, max_pixels, total_pixels;
};

struct VideoLimits {
  int64_t max_bytes = 256LL << 20;          // encoded container size
  double max_duration_s = 600.0;            // container duration
  int64_t max_source_pixels = 3840 * 2160;  // decoded frame size (width * height) before resizing
  int64_t max_sampled_frames = 768;         // after sampling
  int64_t max_frames_in_flight = 64;        // decoded RGB frames held at once across all workers
};

struct VideoPipelineOptions {
  MediaSourceOptions source;
  Qwen2VLImageOptions qwen2vl;  // patch/merge/temporal sizes, mean/std (the video processor shares them)
  VideoSamplingOptions sampling;
  VideoLimits limits;
  int decode_workers = 2;  // decoders used for one video (segments cut at keyframes)
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
