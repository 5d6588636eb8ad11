// Reference matmul: plain loops, f32 accumulation. The executable spec for kernels/matmul.h.
#include "kernels/matmul.h"

#include <cstring>

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
      for (int64_t k = 0; k < K; ++k) acc += x[m * K + k] * weight_at(w, element_offset(w.layout, n, k, K));
      y[m * N + n] = acc + (bias ? bias[n] : 0.f);
    }
  }
}

Tensor to_tiles(const Tensor& w, void* out) {
  MMS_CHECK(w.ndim() == 2 && w.layout == Layout::kRowMajor);
  const int64_t N = w.dim(0), K = w.dim(1);
  MMS_CHECK(N % kTileRows == 0 && K % kTileCols == 0);
  const size_t es = dtype_size(w.dtype);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      std::memcpy(static_cast<char*>(out) + element_offset(Layout::kTiles16x32, n, k, K) * es,
                  static_cast<const char*>(w.data) + (n * K + k) * es, es);
  return Tensor(out, w.dtype, w.shape, Layout::kTiles16x32);
}

}  // namespace mms::kernels::ref
