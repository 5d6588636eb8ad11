// Rotary position embedding, in place, on x[T, n_heads * head_dim] (row t at positions[t]).
// inv_freq[j] (j < head_dim/2) is the angle per position of pair j, already including any scaling
// (model/layers/rope_freqs.h computes it from the config).
// Pairing: kNeox rotates (j, j + head_dim/2) ("rotate half", HF Qwen2/Llama, GGUF qwen2);
//          kGptj rotates (2j, 2j + 1) (GGUF llama, whose converter permuted Q/K to match).
#pragma once

#include <cstdint>

namespace mms::kernels {

enum class RopePairing { kNeox, kGptj };

void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing);

namespace ref {
void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing);
}  // namespace ref

}  // namespace mms::kernels
