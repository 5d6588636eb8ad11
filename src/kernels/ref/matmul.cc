// Reference matmul: plain loops, f32 accumulation. The executable spec for kernels/matmul.h.
#include "kernels/matmul.h"

#include "common/check.h"

namespace mms::kernels::ref {

namespace {
float weight_at(const Tensor& w, int64_t i) {
  switch (w.dtype) {
    case DType::kF32: return w.as<float>()[i];
    case DType::kF16: return f16_to_f32(w.as<uint16_t>()[i]);
    case DType::kBF16: return bf16_to_f32(w.as<uint16_t>()[i]);
    default: MMS_CHECK_MSG(false, "matmul: unsupported weight dtype");
  }
  return 0;
}
}  // namespace

void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK(w.ndim() == 2);
  const int64_t N = w.dim(0);
  const int64_t K = w.dim(1);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.f;
      for (int64_t k = 0; k < K; ++k) acc += x[m * K + k] * weight_at(w, n * K + k);
      y[m * N + n] = acc + (bias ? bias[n] : 0.f);
    }
  }
}

}  // namespace mms::kernels::ref
