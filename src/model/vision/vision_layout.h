// Where the vision tower's rows come from and which rows attend to which, for Qwen2-VL / Qwen2.5-VL: the patch
// grid of an input, the order of its patch rows (2x2 merge groups, then Qwen2.5-VL's windows: HF
// get_window_index), the attention segments (one per frame pair; one per window) and where each merged row ends
// up in the output. Pure functions of the grid and the config; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace mms {

// Patch grid of one input: t frame pairs x h rows x w columns of patches (before merging).
struct VisionGrid {
  int64_t t = 1, h = 0, w = 0;
  int64_t num_patches() const { return t * h * w; }
  bool operator==(const VisionGrid&) const = default;
};

// HF Qwen2_5_VisionTransformerPretrainedModel.get_window_index for one input: windows of window_units x
// window_units merged units, anchored top-left, row-major, per frame pair; partial at the right and bottom edges.
struct WindowLayout {
  std::vector<int32_t> window_index;       // merged unit ids (t * mh * mw + y * mw + x) in window order
  std::vector<int32_t> cu_window_seqlens;  // patch-row boundaries, starting at 0, empty windows dropped
};
WindowLayout window_layout(const VisionGrid& grid, int64_t spatial_merge_size, int64_t window_units);

// One patch row of the tower's sequence: which input, frame pair, patch row and patch column it embeds.
struct PatchRow {
  int32_t input = 0;
  int32_t t = 0, y = 0, x = 0;
};

// The tower's sequence for one input, appended to `rows`: merged units in `unit_order` (window_index, or 0..n-1
// for Qwen2-VL), each as its merge^2 patches in row-major order inside the group (HF's patch order).
void append_patch_rows(const VisionGrid& grid, int32_t input, int64_t spatial_merge_size,
                       const std::vector<int32_t>& unit_order, std::vector<PatchRow>* rows);

// 2-D vision RoPE (HF rot_pos_emb with Qwen2_5_VisionRotaryEmbedding(head_dim / 2), theta 10000): pair
// j < head_dim/4 turns with the patch row y, pair head_dim/4 <= j < head_dim/2 with the column x, both at inverse
// frequency inv_freq[j mod head_dim/4] = theta^(-4 (j mod head_dim/4) / head_dim).
std::vector<double> vision_rope_inv_freq(int64_t head_dim, double theta);
// cos and sin [head_dim / 2] of one patch row's angles (computed in double, rounded once).
void vision_rope_row(int64_t y, int64_t x, const std::vector<double>& inv_freq, float* cos, float* sin);

}  // namespace mms
