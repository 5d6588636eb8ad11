// Qwen2-VL / Qwen2.5-VL image preprocessing, as transformers' Qwen2VLImageProcessor (the Pillow path)
// does it: smart_resize to multiples of patch_size * merge_size within [min_pixels, max_pixels], Pillow
// bicubic resize, rescale by 1/255 (in double, stored as float32), normalize with mean/std in float32.
// Output is a MediaItem with the frames channel-first ([num_frames, 3, H, W]); the patch flattening
// (temporal duplication, 2x2 merge order) belongs to the vision encoder. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "media/image_decoder.h"
#include "media/media_item.h"
#include "media/resample.h"

namespace mms::media {

// The fields of a Hugging Face preprocessor_config.json for Qwen2VLImageProcessor.
struct Qwen2VLImageOptions {
  int64_t min_pixels = 56 * 56;         // size.shortest_edge in the newer form
  int64_t max_pixels = 28 * 28 * 1280;  // size.longest_edge in the newer form
  int64_t patch_size = 14;
  int64_t merge_size = 2;
  int64_t temporal_patch_size = 2;
  std::array<float, 3> image_mean = {0.48145466f, 0.4578275f, 0.40821073f};  // OPENAI_CLIP_MEAN
  std::array<float, 3> image_std = {0.26862954f, 0.26130258f, 0.27577711f};   // OPENAI_CLIP_STD
  double rescale_factor = 1.0 / 255.0;
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
  ResampleFilter resample = ResampleFilter::kBicubic;
  // Not in the config: the largest min_pixels/max_pixels a request may ask for (a guard against
  // per-request overrides that would make a huge tensor). Qwen2.5-VL's own max_pixels by default.
  int64_t max_request_pixels = 16384 * 28 * 28;

  int64_t factor() const { return patch_size * merge_size; }
};

// Per-request overrides (OpenAI-style mm_processor_kwargs / qwen-vl-utils' min_pixels, max_pixels).
struct Qwen2VLOverrides {
  std::optional<int64_t> min_pixels;
  std::optional<int64_t> max_pixels;
};

// Parses preprocessor_config.json text. Accepts top-level min_pixels/max_pixels and/or the newer
// "size": {"shortest_edge", "longest_edge"} (the top-level keys win, as in transformers' __init__);
// unknown keys are ignored. InvalidArgument naming the field on a wrong type or value.
StatusOr<Qwen2VLImageOptions> parse_qwen2vl_preprocessor_config(std::string_view json_text);
// Reads and parses a file (NotFound / IoError when unreadable).
StatusOr<Qwen2VLImageOptions> load_qwen2vl_preprocessor_config(const std::string& path);

struct ResizedSize {
  int64_t height = 0;
  int64_t width = 0;
  bool operator==(const ResizedSize&) const = default;
};

// transformers' smart_resize (current definition): rejects max/min side ratio > 200 (InvalidArgument);
// tiny images are scaled up to min_pixels, never rejected. Python's round() is half-to-even.
StatusOr<ResizedSize> qwen2vl_smart_resize(int64_t height, int64_t width, int64_t factor, int64_t min_pixels,
                                           int64_t max_pixels);

// One image -> MediaItem (kind kImage, num_frames 1, grid_t 1, hash set). Errors: InvalidArgument for
// bad overrides (min > max, over max_request_pixels), an aspect ratio over 200, a bad option.
StatusOr<MediaItem> qwen2vl_preprocess_image(const RgbImage& image, const Qwen2VLImageOptions& options,
                                             const Qwen2VLOverrides& overrides = {});

// A sequence of same-size frames (a video's sampled frames) -> MediaItem (kind kVideo). All frames get
// the size smart_resize gives for the first frame under the (overridden) pixel bounds; the sequence is
// padded to a multiple of temporal_patch_size by repeating the last frame, as _preprocess does.
// second_per_grid_t is left 0 for the caller (it depends on the sampling fps).
StatusOr<MediaItem> qwen2vl_preprocess_frames(std::span<const RgbImage> frames, const Qwen2VLImageOptions& options,
                                              const Qwen2VLOverrides& overrides = {});

// The content hash of preprocessed output: SHA-256 (first 128 bits; cache keys are shared between users
// and must not be forgeable) over every frame's pixels and dims and every
// parameter that changes the output (resized size, mean/std, rescale, patch/merge/temporal sizes, filter,
// flags). Equal pixels and parameters give equal hashes whatever the source format.
Hash128 qwen2vl_content_hash(std::span<const RgbImage> frames, const ResizedSize& resized,
                             const Qwen2VLImageOptions& options);

}  // namespace mms::media
