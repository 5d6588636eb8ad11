// Baseline (no ISA requirement) paged-KV helpers: write_kv copies each token's per-head K/V rows into
// their slots with memcpy.
#include <cstring>

#include "common/check.h"
#include "kernels/cpu/cpu_kernels.h"

namespace mms::kernels::cpu {

void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv) {
  MMS_CHECK_MSG(kv.dtype == DType::kF32, "write_kv: f32 KV only");
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
      std::memcpy(static_cast<float*>(kv.k) + dst, k + t * row + h * D, sizeof(float) * D);
      std::memcpy(static_cast<float*>(kv.v) + dst, v + t * row + h * D, sizeof(float) * D);
    }
  }
}

}  // namespace mms::kernels::cpu
