#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mms {
namespace {

// rows() of a row-major matrix starts at its row r0 and keeps the column count.
TEST(TensorRows, RowMajorSliceStartsAtRow) {
  std::vector<float> m(6 * 4);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i);
  const Tensor t(m.data(), DType::kF32, {6, 4});
  const Tensor s = t.rows(2, 3);
  EXPECT_EQ(s.shape[0], 3);
  EXPECT_EQ(s.shape[1], 4);
  EXPECT_EQ(s.layout, Layout::kRowMajor);
  EXPECT_EQ(s.as<float>()[0], 8.0f);
  EXPECT_EQ(s.as<float>()[11], 19.0f);
}

// In the tile layout a 16-row band is contiguous, so rows(16, 16) of a 32 x 64 matrix holds exactly the
// elements (16 + n, k) at element_offset(n, k) of the slice.
TEST(TensorRows, TiledSliceIsTheSameSubmatrix) {
  constexpr int64_t N = 32, K = 64;
  std::vector<uint16_t> tiled(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      tiled[element_offset(Layout::kTiles16x32, n, k, K)] = static_cast<uint16_t>(n * K + k);
  const Tensor t(tiled.data(), DType::kBF16, {N, K}, Layout::kTiles16x32);
  const Tensor s = t.rows(16, 16);
  EXPECT_EQ(s.layout, Layout::kTiles16x32);
  for (int64_t n = 0; n < 16; ++n)
    for (int64_t k = 0; k < K; ++k)
      ASSERT_EQ(s.as<uint16_t>()[element_offset(Layout::kTiles16x32, n, k, K)], (16 + n) * K + k) << n << "," << k;
}

TEST(TensorRowsDeathTest, TiledSliceMustKeepWholeTileRows) {
  std::vector<uint16_t> tiled(32 * 64);
  const Tensor t(tiled.data(), DType::kBF16, {32, 64}, Layout::kTiles16x32);
  EXPECT_DEATH(t.rows(8, 16), "");
  EXPECT_DEATH(t.rows(0, 40), "");
}

}  // namespace
}  // namespace mms
