#include "model/vision/vision_layout.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace mms {

WindowLayout window_layout(const VisionGrid& g, int64_t merge, int64_t window_units) {
  MMS_CHECK(merge > 0 && window_units > 0 && g.h % merge == 0 && g.w % merge == 0);
  const int64_t mh = g.h / merge, mw = g.w / merge;
  const int64_t nwh = (mh + window_units - 1) / window_units;
  const int64_t nww = (mw + window_units - 1) / window_units;
  WindowLayout out;
  out.window_index.reserve(static_cast<size_t>(g.t * mh * mw));
  out.cu_window_seqlens.push_back(0);
  for (int64_t t = 0; t < g.t; ++t) {
    for (int64_t wy = 0; wy < nwh; ++wy) {
      for (int64_t wx = 0; wx < nww; ++wx) {
        int64_t units = 0;
        for (int64_t y = wy * window_units; y < std::min(mh, (wy + 1) * window_units); ++y) {
          for (int64_t x = wx * window_units; x < std::min(mw, (wx + 1) * window_units); ++x) {
            out.window_index.push_back(static_cast<int32_t>(t * mh * mw + y * mw + x));
            ++units;
          }
        }
        if (units > 0) {
          out.cu_window_seqlens.push_back(out.cu_window_seqlens.back() + static_cast<int32_t>(units * merge * merge));
        }
      }
    }
  }
  return out;
}

void append_patch_rows(const VisionGrid& g, int32_t input, int64_t merge, const std::vector<int32_t>& unit_order,
                       std::vector<PatchRow>* rows) {
  const int64_t mh = g.h / merge, mw = g.w / merge;
  for (int32_t u : unit_order) {
    const int64_t t = u / (mh * mw), y = (u / mw) % mh, x = u % mw;
    for (int64_t dy = 0; dy < merge; ++dy) {
      for (int64_t dx = 0; dx < merge; ++dx) {
        rows->push_back({input, static_cast<int32_t>(t), static_cast<int32_t>(y * merge + dy),
                         static_cast<int32_t>(x * merge + dx)});
      }
    }
  }
}

std::vector<double> vision_rope_inv_freq(int64_t head_dim, double theta) {
  const int64_t quarter = head_dim / 4;
  std::vector<double> inv(static_cast<size_t>(quarter));
  for (int64_t i = 0; i < quarter; ++i) {
    inv[i] = std::pow(theta, -4.0 * static_cast<double>(i) / static_cast<double>(head_dim));
  }
  return inv;
}

void vision_rope_row(int64_t y, int64_t x, const std::vector<double>& inv_freq, float* cos, float* sin) {
  const auto quarter = static_cast<int64_t>(inv_freq.size());
  for (int64_t j = 0; j < 2 * quarter; ++j) {
    const double angle = static_cast<double>(j < quarter ? y : x) * inv_freq[j % quarter];
    cos[j] = static_cast<float>(std::cos(angle));
    sin[j] = static_cast<float>(std::sin(angle));
  }
}

}  // namespace mms
