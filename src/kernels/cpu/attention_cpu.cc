// Baseline (no ISA requirement) paged-KV helpers: write_kv copies each token's per-head K/V rows into
// their slots (memcpy for f32 storage; rounded to nearest even for f16 storage).
#include <cstring>

#include "common/check.h"
#include "kernels/cpu/cpu_kernels.h"

namespace mms::kernels::cpu {

void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv) {
  MMS_CHECK_MSG(kv.dtype == DType::kF32 || kv.dtype == DType::kF16, "write_kv: f32 or f16 KV only");
  const int64_t D = kv.head_dim;
  const int64_t row = kv.n_kv_heads * D;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t slot = slot_mapping[t];
    if (slot < 0) continue;
    const int64_t block = slot / kv.block_size;
    const int64_t offset = slot % kv.block_size;
    MMS_CHECK(block < kv.num_blocks);
    for (int64_t h = 0; h < kv.n_kv_heads; ++h) {
      const int64_t dst = ((block * kv.n_kv_heads + h) * kv.block_size + offset) * D;
      const float* ks = k + t * row + h * D;
      const float* vs = v + t * row + h * D;
      if (kv.dtype == DType::kF16) {
        for (int64_t d = 0; d < D; ++d) {
          static_cast<uint16_t*>(kv.k)[dst + d] = f32_to_f16(ks[d]);
          static_cast<uint16_t*>(kv.v)[dst + d] = f32_to_f16(vs[d]);
        }
      } else {
        std::memcpy(static_cast<float*>(kv.k) + dst, ks, sizeof(float) * D);
        std::memcpy(static_cast<float*>(kv.v) + dst, vs, sizeof(float) * D);
      }
    }
  }
}

}  // namespace mms::kernels::cpu
