// Row-major -> Layout::kTiles16x32 (tensor/tensor.h), done once per weight at load: 64-byte tile rows
// copied over the compute pool.
#include <cstring>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

namespace mms::kernels::cpu {

Tensor to_tiles(const Tensor& w, void* out) {
  MMS_CHECK(w.ndim() == 2 && w.layout == Layout::kRowMajor);
  const int64_t N = w.dim(0), K = w.dim(1);
  MMS_CHECK(N % kTileRows == 0 && K % kTileCols == 0);
  const size_t es = dtype_size(w.dtype), row_bytes = kTileCols * es;
  const auto* src = static_cast<const char*>(w.data);
  auto* dst = static_cast<char*>(out);
  parallel_for(N / kTileRows, 16, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t)
      for (int64_t r = 0; r < kTileRows; ++r)
        for (int64_t k = 0; k < K; k += kTileCols) {
          const int64_t n = t * kTileRows + r;
          std::memcpy(dst + element_offset(Layout::kTiles16x32, n, k, K) * es, src + (n * K + k) * es, row_bytes);
        }
  });
  return Tensor(out, w.dtype, w.shape, Layout::kTiles16x32);
}

}  // namespace mms::kernels::cpu
