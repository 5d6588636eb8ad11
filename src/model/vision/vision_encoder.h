// VisionEncoder: a vision tower plus patch merger (Qwen2-VL, Qwen2.5-VL) turning normalized frames into
// rows of the language model's hidden size, one row per merged 2x2 patch group. Encoding runs as a
// VisionEncodeJob in slices, so a caller can interleave it with decode steps under a time budget.
// VisionEncoder is immutable after loading and thread-safe; a job is used by one thread at a time.
// Loading: load_vision_encoder() and friends below (GGUF mmproj, Hugging Face directory, dummy weights).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/model_loader.h"
#include "model/vision/vision_config.h"
#include "model/vision/vision_layout.h"
#include "model/vision/vision_weights.h"

namespace mms {

// One image (num_frames == 1; duplicated to the temporal patch) or video (num_frames a multiple of the
// temporal patch size), already resized to multiples of patch_size * spatial_merge_size and normalized.
struct VisionInput {
  std::span<const float> frames;  // [num_frames, 3, height, width], row-major, normalized
  int64_t num_frames = 1;
  int64_t height = 0;
  int64_t width = 0;
};

// A batch of inputs being encoded. run() advances by whole work units (a matmul over a chunk of rows,
// attention over some windows or heads or query rows, ...), each unit on the compute pool. The units are fixed
// when the job starts (they depend on the inputs and the encoder's options, never on the budgets), so any
// sequence of run() calls gives bit-identical outputs.
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
  virtual int64_t num_units() const = 0;        // work units in all
  virtual int64_t remaining_units() const = 0;
  // What unit i (0 <= i < num_units(), in execution order) does, for logs and profiles:
  // "layer 7 attention(full) seq 0 heads 3-4 rows 960-1920", "layer 2 mlp_in rows 256-512", ...
  virtual std::string describe_unit(int64_t i) const = 0;
  // After done(): the embeddings of input i, [num_output_tokens(i), out_hidden_size], rows in the
  // row-major order of the merged grid (frame-pair, row, column) as the placeholder tokens are laid out.
  virtual std::span<const float> output(size_t i) const = 0;
};

// How finely a job is sliced: a row-chunked (or, in the merger, row- and column-tiled) matmul unit does about
// unit_flops, an attention unit about attention_unit_flops (f32 attention runs at a lower FLOP rate than bf16
// matmuls). The defaults aim at units of roughly 10-30 ms on two cores (benchmarks/vision_bench.cc).
struct VisionEncoderOptions {
  int64_t unit_flops = 2'000'000'000;
  int64_t attention_unit_flops = 500'000'000;
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
  // alive until the job is done, and the job must not outlive the encoder. InvalidArgument for a size grid_of
  // rejects or frames of the wrong length.
  virtual StatusOr<std::unique_ptr<VisionEncodeJob>> start(std::span<const VisionInput> inputs) const = 0;
};

// A tower over weights already opened (named per `naming`); the encoder owns the store.
StatusOr<std::unique_ptr<VisionEncoder>> create_vision_encoder(const VisionConfig& config,
                                                               std::unique_ptr<WeightStore> weights,
                                                               VisionWeightNaming naming,
                                                               const VisionEncoderOptions& options = {});
// A GGUF mmproj as llama.cpp writes it (arch `clip`, projector qwen2vl_merger or qwen2.5vl_merger).
StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder_gguf(const std::string& mmproj_path,
                                                                  const VisionEncoderOptions& options = {});
// A Hugging Face checkpoint directory: config.json's vision_config, preprocessor_config.json when present,
// the `visual.` / `model.visual.` tensors of its safetensors.
StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder_hf(const std::string& dir,
                                                                const VisionEncoderOptions& options = {});
// Random weights at the config's real size (vLLM's --load-format dummy): matrices in `matrix_dtype`, norms 1,
// biases small (model/dummy/dummy_weights.h).
StatusOr<std::unique_ptr<VisionEncoder>> make_dummy_vision_encoder(const VisionConfig& config, DType matrix_dtype,
                                                                   uint64_t seed,
                                                                   const VisionEncoderOptions& options = {});
// Dispatch as load_model() does: a .gguf file is an mmproj, a directory holding config.json an HF checkpoint;
// with LoadFormat::kDummy the config (a config.json, a directory holding one, or an mmproj's metadata) gets
// dummy weights in options.dummy_dtype.
StatusOr<std::unique_ptr<VisionEncoder>> load_vision_encoder(const std::string& path, const LoadOptions& load = {},
                                                             const VisionEncoderOptions& options = {});

}  // namespace mms
