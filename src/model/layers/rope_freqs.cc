#include "model/layers/rope_freqs.h"

#include <cmath>
#include <numbers>

#include "common/check.h"

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

kernels::MropeSections mrope_sections(const ModelConfig& c) {
  const int64_t half = c.head_dim / 2;
  MMS_CHECK(c.mrope_section.size() == 3);
  int64_t sum = 0;
  for (int32_t s : c.mrope_section) sum += s;
  MMS_CHECK(sum > 0);
  int64_t s[3];
  for (int i = 0; i < 3; ++i) s[i] = c.mrope_section[i] * half / sum;
  s[2] = half - s[0] - s[1];
  return {static_cast<int32_t>(s[0]), static_cast<int32_t>(s[1]), static_cast<int32_t>(s[2])};
}

}  // namespace mms
