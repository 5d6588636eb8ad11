// Helpers for the kernel tests: enumerate a registry's variants (skipping those this CPU lacks), build
// random weights in a given dtype, and keep the worst error per variant for the report.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kernels/variants.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"
#include "testing/test_data.h"

namespace mms::kernels {
// Test parameters print as the variant's name (stable ctest names: ".../avx2  # GetParam() = avx2").
template <typename Fn>
void PrintTo(const KernelVariant<Fn>* v, std::ostream* os) {
  *os << v->name;
}
}  // namespace mms::kernels

namespace mms::kernels::testing {

// Every variant of an op except ref (what they are compared with), as test parameters:
//   INSTANTIATE_TEST_SUITE_P(All, MatmulVariantTest, ::testing::ValuesIn(non_ref(matmul_variants())), VariantName());
template <typename V>
std::vector<const V*> non_ref(std::span<const V> all) {
  std::vector<const V*> out;
  for (const V& v : all)
    if (std::string(v.name) != "ref") out.push_back(&v);
  return out;
}

struct VariantName {
  template <typename P>
  std::string operator()(const ::testing::TestParamInfo<P>& info) const {
    return info.param->name;
  }
};

// Skips the current test cleanly when this CPU lacks what the variant needs.
#define MMS_SKIP_IF_UNAVAILABLE(v) \
  if (!(v).available()) GTEST_SKIP() << (v).name << " needs a CPU feature this machine lacks"

// Random [rows, cols] weights stored in `dtype` (f32 values are exactly representable in that dtype).
struct RandomWeights {
  std::vector<float> f32;
  std::vector<uint16_t> half;
  Tensor tensor;

  RandomWeights(std::mt19937& rng, DType dtype, int64_t rows, int64_t cols, float lo = -1.f, float hi = 1.f) {
    f32 = mms::testing::random_floats(rng, static_cast<size_t>(rows * cols), lo, hi);
    if (dtype == DType::kF32) {
      tensor = Tensor(f32.data(), dtype, {rows, cols});
      return;
    }
    half.resize(f32.size());
    for (size_t i = 0; i < f32.size(); ++i) half[i] = dtype == DType::kF16 ? f32_to_f16(f32[i]) : f32_to_bf16(f32[i]);
    tensor = Tensor(half.data(), dtype, {rows, cols});
  }
};

// max |a - b| / (|b| + abs_floor) over equal-length arrays: elementwise relative error.
inline float max_elementwise_rel(const float* a, const float* b, size_t n, float abs_floor = 1e-30f) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]) / (std::fabs(b[i]) + abs_floor));
  return m;
}

// Worst error seen per label; printed when the test ends.
class ErrorReport {
 public:
  explicit ErrorReport(std::string op) : op_(std::move(op)) {}
  ~ErrorReport() {
    for (const auto& [label, err] : worst_)
      std::cout << "[" << op_ << "] " << label << ": max rel error " << err << "\n";
  }
  void add(const std::string& label, float err) {
    float& w = worst_[label];
    w = std::max(w, err);
  }

 private:
  std::string op_;
  std::map<std::string, float> worst_;
};

}  // namespace mms::kernels::testing
