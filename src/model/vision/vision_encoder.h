// VisionEncoder: a vision tower plus patch merger (Qwen2-VL, Qwen2.5-VL) turning normalized frames into
// rows of the language model's hidden size, one row per merged 2x2 patch group. Encoding runs as a
// VisionEncodeJob in slices, so a caller can interleave it with decode steps under a time budget.
// VisionEncoder is immutable after loading and thread-safe; a job is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace mms {

struct VisionConfig {
  std::string projector;             // "qwen2vl_merger" (Qwen2-VL) | "qwen2.5vl_merger" (Qwen2.5-VL)
  int64_t hidden_size = 0;           // ViT width (embed_dim / hidden_size)
  int64_t intermediate_size = 0;     // ViT MLP width
  int64_t num_layers = 0;            // depth
  int64_t num_heads = 0;
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t out_hidden_size = 0;       // the language model's hidden size
  int64_t window_size = 112;         // Qwen2.5-VL window attention, pixels
  std::vector<int32_t> fullatt_block_indexes;  // Qwen2.5-VL layers with full attention
  double norm_eps = 1e-6;
  double tokens_per_second = 2.0;    // Qwen2.5-VL video M-RoPE time scale (vision_config.tokens_per_second)
  float image_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
  float image_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};
};

// Patch grid of one input: t frames-pairs x h rows x w columns of patches (before merging).
struct VisionGrid {
  int64_t t = 1, h = 0, w = 0;
  int64_t num_patches() const { return t * h * w; }
};

// One image (num_frames == 1; duplicated to the temporal patch) or video (num_frames a multiple of the
// temporal patch size), already resized to multiples of patch_size * spatial_merge_size and normalized.
struct VisionInput {
  std::span<const float> frames;  // [num_frames, 3, height, width], row-major, normalized
  int64_t num_frames = 1;
  int64_t height = 0;
  int64_t width = 0;
};

// A batch of inputs being encoded. run() advances by whole work units (a matmul over a chunk of rows,
// one attention window, ...), each unit on the compute pool.
class VisionEncodeJob {
 public:
  virtual ~VisionEncodeJob() = default;
  // Runs work units until at least `flop_budget` FLOPs were done (at least one unit) or the job is done.
  // Returns true when the job is done.
  virtual bool run(int64_t flop_budget) = 0;
  bool run_to_completion() { return run(INT64_MAX); }
  virtual bool done() const = 0;
  virtual int64_t total_flops() const = 0;      // estimate, for budgeting
  virtual int64_t remaining_flops() const = 0;
  // After done(): the embeddings of input i, [num_output_tokens(i), out_hidden_size], rows in the
  // row-major order of the merged grid (frame-pair, row, column) as the placeholder tokens are laid out.
  virtual std::span<const float> output(size_t i) const = 0;
};

class VisionEncoder {
 public:
  virtual ~VisionEncoder() = default;
  virtual const VisionConfig& config() const = 0;
  // The patch grid of an input of this size; InvalidArgument unless height and width are positive
  // multiples of patch_size * spatial_merge_size and num_frames is 1 or a multiple of temporal_patch_size.
  StatusOr<VisionGrid> grid_of(int64_t num_frames, int64_t height, int64_t width) const;
  // Placeholder tokens (embedding rows) for a grid: t * h * w / spatial_merge_size^2.
  int64_t num_output_tokens(const VisionGrid& grid) const;
  // Starts encoding `inputs` (batched: one job, attention kept within each input). The frames must stay
  // alive until the job is done. InvalidArgument for a size grid_of rejects.
  virtual StatusOr<std::unique_ptr<VisionEncodeJob>> start(std::span<const VisionInput> inputs) const = 0;
};

}  // namespace mms
