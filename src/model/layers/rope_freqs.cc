#include "model/layers/rope_freqs.h"

#include <cmath>
#include <numbers>

namespace mms {

std::vector<float> rope_inv_freq(const ModelConfig& c) {
  const int64_t half = c.head_dim / 2;
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) {
    double f = std::pow(c.rope_theta, -2.0 * static_cast<double>(j) / static_cast<double>(c.head_dim));
    const RopeScaling& s = c.rope_scaling;
    switch (s.type) {
      case RopeScaling::Type::kNone: break;
      case RopeScaling::Type::kLinear: f /= s.factor; break;
      case RopeScaling::Type::kLlama3: {
        // As in Hugging Face's _compute_llama3_parameters.
        const double low_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
        const double high_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
        const double wavelen = 2 * std::numbers::pi / f;
        if (wavelen > low_wavelen) {
          f /= s.factor;
        } else if (wavelen >= high_wavelen) {
          const double smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                                (s.high_freq_factor - s.low_freq_factor);
          f = (1 - smooth) * f / s.factor + smooth * f;
        }
        break;
      }
    }
    inv[static_cast<size_t>(j)] = static_cast<float>(f);
  }
  return inv;
}

}  // namespace mms
