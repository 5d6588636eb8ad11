// Rotary position embedding, in place, on x[T, n_heads * head_dim] (row t at positions[t]).
// inv_freq[j] (j < head_dim/2) is the angle per position of pair j, already including any scaling
// (model/layers/rope_freqs.h computes it from the config).
// Pairing: kNeox rotates (j, j + head_dim/2) ("rotate half", HF Qwen2/Llama, GGUF qwen2);
//          kGptj rotates (2j, 2j + 1) (GGUF llama, whose converter permuted Q/K to match).
// rope_multi is Qwen2-VL's M-RoPE (HF apply_multimodal_rotary_pos_emb, ggml_rope_multi): each row has
// three positions (temporal, height, width) and pair j rotates by the position of its section.
#pragma once

#include <cstdint>

namespace mms::kernels {

enum class RopePairing { kNeox, kGptj };

// Rotary pairs per M-RoPE section, in head order: pairs [0, t) take the temporal position, [t, t + h)
// the height position, [t + h, t + h + w) the width position. t + h + w == head_dim / 2.
struct MropeSections {
  int32_t t = 0, h = 0, w = 0;
};

void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing);

// positions is [3 * T]: the temporal positions of all T rows, then the height ones, then the width ones.
// With all three equal to p for a row, the row gets exactly what rope() gives at position p.
void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing);

namespace ref {
void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing);
void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing);
}  // namespace ref

}  // namespace mms::kernels
