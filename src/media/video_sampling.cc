// qwen-vl-utils' frame sampling arithmetic (vision_process.py), transcribed.
#include "media/video_sampling.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mms::media {
namespace {

int64_t floor_by(double x, int64_t f) { return static_cast<int64_t>(std::floor(x / static_cast<double>(f))) * f; }
int64_t ceil_by(double x, int64_t f) { return static_cast<int64_t>(std::ceil(x / static_cast<double>(f))) * f; }

Status check_range(const char* name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    return invalid_argument(std::string("video ") + name + " = " + std::to_string(v) + " is out of range [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return ok_status();
}

}  // namespace

StatusOr<int64_t> qwen_smart_nframes(int64_t total_frames, double video_fps, const VideoSamplingOptions& s,
                                     bool max_frames_from_request, int64_t factor) {
  if (total_frames <= 0 || !(video_fps > 0)) return invalid_argument("the video has no frames");
  const int64_t min_frames = ceil_by(static_cast<double>(s.min_frames), factor);
  // FPS_MAX_FRAMES is capped by the video's length; a request's max_frames is taken as given.
  const int64_t max_frames =
      floor_by(static_cast<double>(max_frames_from_request ? s.max_frames : std::min(s.max_frames, total_frames)), factor);
  double n = static_cast<double>(total_frames) / video_fps * s.fps;
  n = std::min(std::min(std::max(n, static_cast<double>(min_frames)), static_cast<double>(max_frames)),
               static_cast<double>(total_frames));
  const int64_t nframes = floor_by(n, factor);
  if (nframes < factor || nframes > total_frames) {
    return invalid_argument("cannot sample the video: " + std::to_string(total_frames) + " frame(s) at " +
                            std::to_string(s.fps) + " fps with min_frames " + std::to_string(s.min_frames) +
                            " and max_frames " + std::to_string(s.max_frames) + " gives " + std::to_string(nframes) +
                            " frames; at least " + std::to_string(factor) + " (the temporal patch size) are needed");
  }
  return nframes;
}

std::vector<int64_t> qwen_linspace_indices(int64_t total_frames, int64_t n) {
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n == 1) {
    out[0] = 0;
    return out;
  }
  // ATen's linspace kernel: step in the output dtype (float32), the first half counted from the start,
  // the second half from the end.
  const float start = 0.f, end = static_cast<float>(total_frames - 1);
  const float step = (end - start) / static_cast<float>(n - 1);
  const int64_t halfway = n / 2;
  for (int64_t i = 0; i < n; ++i) {
    const float v = i < halfway ? start + step * static_cast<float>(i) : end - step * static_cast<float>(n - i - 1);
    out[static_cast<size_t>(i)] = static_cast<int64_t>(std::nearbyint(v));  // half to even, as torch.round
  }
  return out;
}

StatusOr<VideoSamplingPlan> plan_video_sampling(const VideoInfo& info, const VideoSamplingOptions& base,
                                                const VideoOverrides& ov, int64_t temporal_patch_size) {
  VideoSamplingPlan plan;
  VideoSamplingOptions& s = plan.sampling;
  s = base;
  if (ov.fps) s.fps = *ov.fps;
  if (ov.min_frames) s.min_frames = *ov.min_frames;
  if (ov.max_frames) s.max_frames = *ov.max_frames;
  if (ov.min_pixels) s.min_pixels = *ov.min_pixels;
  if (ov.total_pixels) s.total_pixels = *ov.total_pixels;
  MMS_RETURN_IF_ERROR(check_range("fps", s.fps, 1e-3, 1000));
  MMS_RETURN_IF_ERROR(check_range("min_frames", static_cast<double>(s.min_frames), 1, 1e6));
  MMS_RETURN_IF_ERROR(check_range("max_frames", static_cast<double>(s.max_frames), 1, 1e6));
  MMS_RETURN_IF_ERROR(check_range("min_pixels", static_cast<double>(s.min_pixels), 1, 1e9));
  MMS_RETURN_IF_ERROR(check_range("total_pixels", static_cast<double>(s.total_pixels), 1, 1e12));
  if (ov.max_pixels) MMS_RETURN_IF_ERROR(check_range("max_pixels", static_cast<double>(*ov.max_pixels), 1, 1e9));

  const int64_t total = info.num_frames();
  MMS_ASSIGN_OR_RETURN(const int64_t nframes,
                       qwen_smart_nframes(total, info.fps, s, ov.max_frames.has_value(), temporal_patch_size));
  plan.frame_indices = qwen_linspace_indices(total, nframes);
  plan.timestamps_s.reserve(plan.frame_indices.size());
  for (int64_t i : plan.frame_indices) plan.timestamps_s.push_back(info.seconds(info.frames[static_cast<size_t>(i)].pts));
  plan.sample_fps = static_cast<double>(nframes) / static_cast<double>(total) * info.fps;
  plan.second_per_grid_t = static_cast<double>(temporal_patch_size) / plan.sample_fps;

  // fetch_video: max_pixels = max(min(VIDEO_MAX_PIXELS, total_pixels / nframes * FRAME_FACTOR),
  // int(min_pixels * 1.05)), then capped by the request's max_pixels. (Floored to an integer: smart_resize
  // compares it with an integer pixel count.)
  const double spread = static_cast<double>(s.total_pixels) / static_cast<double>(nframes) * static_cast<double>(temporal_patch_size);
  int64_t max_pixels = std::max(static_cast<int64_t>(std::floor(std::min(static_cast<double>(s.max_pixels), spread))),
                                static_cast<int64_t>(static_cast<double>(s.min_pixels) * 1.05));
  if (ov.max_pixels) max_pixels = std::min(max_pixels, *ov.max_pixels);
  s.max_pixels = max_pixels;
  plan.frame_pixels.min_pixels = s.min_pixels;
  plan.frame_pixels.max_pixels = max_pixels;
  return plan;
}

}  // namespace mms::media
