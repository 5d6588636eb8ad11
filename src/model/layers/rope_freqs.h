// Inverse RoPE frequencies per rotary pair from the model config (theta, head_dim, and rope_scaling:
// linear or Llama 3's piecewise scaling). Pure function.
#pragma once

#include <vector>

#include "model/model_config.h"

namespace mms {

// inv_freq[j] = theta^(-2j/head_dim), j < head_dim/2, then scaled as rope_scaling says.
std::vector<float> rope_inv_freq(const ModelConfig& config);

}  // namespace mms
