#include "kernels/embedding.h"

#include "common/check.h"

namespace mms::kernels::ref {

void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out) {
  MMS_CHECK(table.ndim() == 2);
  const int64_t H = table.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    MMS_CHECK(ids[i] >= 0 && ids[i] < table.dim(0));
    for (int64_t j = 0; j < H; ++j) {
      const int64_t at = element_offset(table.layout, ids[i], j, H);
      float v = 0;
      switch (table.dtype) {
        case DType::kF32: v = table.as<float>()[at]; break;
        case DType::kF16: v = f16_to_f32(table.as<uint16_t>()[at]); break;
        case DType::kBF16: v = bf16_to_f32(table.as<uint16_t>()[at]); break;
        default: MMS_CHECK_MSG(false, "embedding: unsupported dtype");
      }
      out[i * H + j] = v;
    }
  }
}

}  // namespace mms::kernels::ref
