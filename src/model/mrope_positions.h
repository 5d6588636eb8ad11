// M-RoPE positions of a Qwen2-VL / Qwen2.5-VL prompt, as Hugging Face's get_rope_index computes them:
// text tokens get t = h = w = a running position; the placeholder tokens of a media item get the (t, h, w)
// coordinates of its merged grid, offset by the position where the item starts; text after an item
// continues at the item's largest position + 1. Generated tokens continue like text: the token at
// sequence index i >= num_tokens gets i + delta in all three sections. Pure functions, no tensors;
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "model/model_config.h"
#include "model/vision/vision_config.h"

namespace mms {

// One image or video in the sequence.
struct MropeMediaSpan {
  int64_t offset = 0;                          // sequence index of the item's first placeholder token
  int64_t grid_t = 1, grid_h = 0, grid_w = 0;  // patch grid before merging (image: grid_t = 1)
  bool is_video = false;
  double second_per_grid_t = 0;  // video: seconds one temporal patch covers (Qwen2.5-VL time rule)
};

// The model's rule (mrope_rule(config) reads it from a ModelConfig).
struct MropeRule {
  int32_t spatial_merge_size = 2;  // patches per merged token side
  // 0: Qwen2-VL, a placeholder's temporal offset is its frame-pair index. > 0: Qwen2.5-VL, a video's is
  // int(index * second_per_grid_t * tokens_per_second) (float32 product, truncated, as HF and vLLM do)
  // and an image's is 0.
  double tokens_per_second = 0;
};
MropeRule mrope_rule(const ModelConfig& config);
// The rule of a decoder served with a vision tower: the decoder's, except that a Qwen2.5-VL tower
// (projector qwen2.5vl_merger) supplies the time scale when the decoder's config has none. A GGUF text
// model cannot carry it (llama.cpp's arch qwen2vl is shared by Qwen2-VL and Qwen2.5-VL, and the converter
// writes no tokens_per_second), so only the mmproj says which rule applies; its value is the tower's
// tokens_per_second (HF's default 2). A Qwen2-VL tower leaves the decoder's rule as it is.
MropeRule mrope_rule(const ModelConfig& config, const VisionConfig& vision);

// Placeholder tokens of a span: grid_t * (grid_h / merge) * (grid_w / merge).
int64_t mrope_span_tokens(const MropeMediaSpan& span, int32_t spatial_merge_size);

struct MropePositions {
  int64_t num_tokens = 0;
  std::vector<int32_t> positions;  // [3, num_tokens]: all temporal positions, then height, then width
  int32_t delta = 0;               // max position + 1 - num_tokens (HF's rope_deltas)
};

// Positions of a whole prompt of num_tokens tokens. InvalidArgument when the spans are not sorted and
// disjoint, run past num_tokens, or have a grid that is empty or not a multiple of the merge size.
StatusOr<MropePositions> compute_mrope_positions(int64_t num_tokens, std::span<const MropeMediaSpan> spans,
                                                 const MropeRule& rule);

// Positions of sequence indices [start, end) only (a prefill chunk, or decode tokens past the prompt),
// in O(spans + end - start): out[s * stride + (i - start)] for section s in {t, h, w}; stride >= end -
// start (a ForwardBatch's mrope_positions has stride T, the batch's token count). Same errors as above,
// except that indices past the last span are always text.
Status compute_mrope_positions_slice(std::span<const MropeMediaSpan> spans, const MropeRule& rule, int64_t start,
                                     int64_t end, int32_t* out, int64_t stride);

// HF's rope delta of a prompt: positions.delta of compute_mrope_positions, without building the rows.
StatusOr<int32_t> compute_mrope_delta(int64_t num_tokens, std::span<const MropeMediaSpan> spans,
                                      const MropeRule& rule);

}  // namespace mms
