// Rotary position embedding from precomputed per-row angles, in place, "rotate half" pairing (j, j + head_dim/2):
// for row t, head h and pair j < head_dim/2, with c = cos[t, j], s = sin[t, j]:
//   (x[j], x[j + head_dim/2]) <- (x[j] c - x[j + head_dim/2] s, x[j + head_dim/2] c + x[j] s).
// For rotaries whose angle is not one position times a frequency: the 2-D vision RoPE of Qwen2-VL (pairs split
// between the patch row and the patch column), built once per encode and reused by every layer.
// Row t of x starts at x + t * row_stride (>= n_heads * head_dim; the heads are its first n_heads * head_dim
// values, so q and k side by side in a fused qkv row are 2 * n_heads heads); cos and sin are [T, head_dim / 2].
// Runs on the pool.
#pragma once

#include <cstdint>

namespace mms::kernels {

void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin);

namespace ref {
void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin);
}  // namespace ref

}  // namespace mms::kernels
