// Inverse RoPE frequencies per rotary pair from the model config (theta, head_dim, and rope_scaling:
// linear or Llama 3's piecewise scaling), and the M-RoPE section split. Pure functions.
#pragma once

#include <vector>

#include "model/model_config.h"

namespace mms {

// inv_freq[j] = theta^(-2j/head_dim), j < head_dim/2, then scaled as rope_scaling says.
std::vector<float> rope_inv_freq(const ModelConfig& config);

// config.mrope_section as the kernel's pair counts. Published models' sections sum to head_dim / 2 and are
// used as they are (HF and llama.cpp agree). Any other sum is rescaled to head_dim / 2 as SGLang's
// MRotaryEmbedding does: each section floor(s * half / sum), the last one takes the remainder (HF
// rejects such a config; llama.cpp would instead repeat the sections cyclically over the pairs).
// Requires a non-empty, validated mrope_section.
kernels::MropeSections mrope_sections(const ModelConfig& config);

}  // namespace mms
