// MediaItem: one image or video after fetching, decoding and the model's preprocessing: normalized
// frames ready for the vision encoder, its patch grid, its placeholder-token count and its content hash
// (the encoder-cache and prefix-cache key). Immutable once built; shared read-only (shared_ptr) between
// the preprocessing pool, the engine and the executor.
#pragma once

#include <cstdint>
#include <vector>

#include "common/hash.h"
#include "common/uninit_allocator.h"

namespace mms::media {

enum class MediaKind { kImage, kVideo };

// Normalized pixels; resize() does not zero them (the preprocessing writes every element; see
// common/uninit_allocator.h).
using FrameBuffer = std::vector<float, UninitAllocator<float>>;

struct MediaItem {
  MediaKind kind = MediaKind::kImage;
  FrameBuffer frames;            // [num_frames, 3, height, width], normalized
  int64_t num_frames = 1;        // 1 for an image; a multiple of the temporal patch size for video
  int64_t height = 0;            // after resizing: multiples of patch_size * merge_size
  int64_t width = 0;
  int64_t source_height = 0;     // decoded size before resizing (after EXIF rotation)
  int64_t source_width = 0;
  int64_t grid_t = 1, grid_h = 0, grid_w = 0;  // patch grid (before merging)
  int64_t num_tokens = 0;        // placeholder tokens = grid_t * grid_h * grid_w / merge^2
  double second_per_grid_t = 0;  // video: seconds covered by one temporal patch (M-RoPE time positions)
  Hash128 hash;                  // over the decoded pixels and every preprocessing parameter
};

}  // namespace mms::media
