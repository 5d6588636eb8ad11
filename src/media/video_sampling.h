// Which frames of a video Qwen2.5-VL sees and at what size: qwen-vl-utils' smart_nframes (frame count
// from fps, min/max frames, rounded to the temporal patch), its linspace frame indices, the sample fps
// behind M-RoPE's second_per_grid_t, and the per-frame pixel bounds that spread total_pixels over the
// frames. Pure functions of a probed VideoInfo and options; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_demuxer.h"
#include "media/video_pipeline.h"

namespace mms::media {

struct VideoSamplingPlan {
  VideoSamplingOptions sampling;      // after the request's overrides
  std::vector<int64_t> frame_indices; // into VideoInfo::frames, ascending; size() is a multiple of the temporal patch
  std::vector<double> timestamps_s;   // of those frames (pts x time base)
  double sample_fps = 0;              // nframes / total_frames * video_fps
  double second_per_grid_t = 0;       // temporal_patch_size / sample_fps
  Qwen2VLOverrides frame_pixels;      // per-frame min_pixels / max_pixels for smart_resize
};

// qwen-vl-utils smart_nframes with the fps path. InvalidArgument when fewer than `factor` frames result
// (e.g. a one-frame video) or an option is out of range.
StatusOr<int64_t> qwen_smart_nframes(int64_t total_frames, double video_fps, const VideoSamplingOptions& sampling,
                                     bool max_frames_from_request, int64_t factor);

// torch.linspace(0, total_frames - 1, n) in float32, rounded half to even (torch.round).
std::vector<int64_t> qwen_linspace_indices(int64_t total_frames, int64_t n);

// The whole plan. Errors: InvalidArgument for out-of-range overrides (names the field), too few frames.
StatusOr<VideoSamplingPlan> plan_video_sampling(const VideoInfo& info, const VideoSamplingOptions& base,
                                                const VideoOverrides& overrides, int64_t temporal_patch_size);

}  // namespace mms::media
