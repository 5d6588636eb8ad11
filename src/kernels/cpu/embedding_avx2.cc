// AVX2 embedding lookup: f32 rows are copied, f16 rows converted with F16C, bf16 rows by a shift.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {

void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out) {
  MMS_CHECK(table.ndim() == 2);
  const int64_t V = table.dim(0);
  const int64_t H = table.dim(1);
  for (int64_t i = 0; i < n; ++i) MMS_CHECK(ids[i] >= 0 && ids[i] < V);
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(H, 1));
  parallel_for(n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (table.layout == Layout::kTiles16x32) {  // 32 contiguous values per tile
        MMS_CHECK(table.dtype == DType::kBF16);
        for (int64_t k = 0; k < H; k += kTileCols)
          convert_to_f32<DType::kBF16>(table.data, element_offset(table.layout, ids[i], k, H), kTileCols, out + i * H + k);
        continue;
      }
      const int64_t base = static_cast<int64_t>(ids[i]) * H;
      switch (table.dtype) {
        case DType::kF32: std::memcpy(out + i * H, table.as<float>() + base, sizeof(float) * H); break;
        case DType::kF16: convert_to_f32<DType::kF16>(table.data, base, H, out + i * H); break;
        case DType::kBF16: convert_to_f32<DType::kBF16>(table.data, base, H, out + i * H); break;
        default: MMS_CHECK_MSG(false, "embedding: unsupported dtype");
      }
    }
  });
}

}  // namespace mms::kernels::cpu::avx2
