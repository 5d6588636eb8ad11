#include "model/layers/matmul_weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/matmul.h"

namespace mms {
namespace {

using ::testing::HasSubstr;

// An in-memory store of bf16 and f32 matrices.
class MapStore final : public WeightStore {
 public:
  void add_bf16(const std::string& name, int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<uint16_t>& d = bf16_[name];
    for (int64_t i = 0; i < rows * cols; ++i) d.push_back(f32_to_bf16(u(rng)));
    tensors_[name] = Tensor(d.data(), DType::kBF16, {rows, cols});
  }
  void add_f32(const std::string& name, int64_t rows, int64_t cols) {
    std::vector<float>& d = f32_[name];
    d.assign(static_cast<size_t>(rows * cols), 0.5f);
    tensors_[name] = Tensor(d.data(), DType::kF32, {rows, cols});
  }
  StatusOr<Tensor> get(std::string_view name) const override {
    auto it = tensors_.find(std::string(name));
    if (it == tensors_.end()) return not_found(std::string(name));
    return it->second;
  }
  bool has(std::string_view name) const override { return tensors_.count(std::string(name)) > 0; }
  std::vector<std::string> names() const override { return {}; }
  std::string source() const override { return "map"; }

 private:
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::vector<uint16_t>> bf16_;
  std::map<std::string, std::vector<float>> f32_;
};

// One matmul over the stacked q/k/v gives each part's own matmul output in its columns (64 stacked rows
// and 64 columns: the AMX tile layout where the CPU has it, row-major elsewhere). Same kernel both ways;
// a tolerance only for kernels whose row grouping could change a sum's order.
TEST(MatmulWeights, StackedMatmulEqualsItsParts) {
  MapStore store;
  store.add_bf16("q", 32, 64, 1);
  store.add_bf16("k", 16, 64, 2);
  store.add_bf16("v", 16, 64, 3);
  MatmulWeights weights;
  auto stacked = weights.get_stacked(store, std::array<std::string, 3>{"q", "k", "v"},
                                     std::array{Shape{32, 64}, Shape{16, 64}, Shape{16, 64}});
  ASSERT_TRUE(stacked.ok()) << stacked.status().to_string();
  EXPECT_EQ(stacked->dim(0), 64);
  EXPECT_EQ(stacked->dim(1), 64);
  for (const int64_t M : {1, 3}) {
    std::vector<float> x(static_cast<size_t>(M * 64));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.f;
    std::vector<float> whole(static_cast<size_t>(M * 64));
    kernels::matmul(x.data(), M, *stacked, nullptr, whole.data());
    int64_t col = 0;
    for (const auto& [name, rows] : {std::pair{"q", 32}, std::pair{"k", 16}, std::pair{"v", 16}}) {
      auto part = weights.get(store, name, Shape{rows, 64});
      ASSERT_TRUE(part.ok());
      std::vector<float> got(static_cast<size_t>(M * rows));
      kernels::matmul(x.data(), M, *part, nullptr, got.data());
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < rows; ++n)
          ASSERT_NEAR(whole[m * 64 + col + n], got[m * rows + n], 1e-5f * (1 + std::abs(got[m * rows + n])))
              << name << " M=" << M << " row " << m << " col " << n;
      col += rows;
    }
  }
}

TEST(MatmulWeights, StackedPartsMustShareDtypeAndColumns) {
  MapStore store;
  store.add_bf16("q", 32, 64, 1);
  store.add_f32("k", 16, 64);
  store.add_bf16("v", 16, 32, 3);
  MatmulWeights weights;
  auto dtype = weights.get_stacked(store, std::array<std::string, 2>{"q", "k"}, std::array{Shape{32, 64}, Shape{16, 64}});
  EXPECT_EQ(dtype.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dtype.status().message(), HasSubstr("k: f32[16, 64] cannot be stacked under q"));
  auto cols = weights.get_stacked(store, std::array<std::string, 2>{"q", "v"}, std::array{Shape{32, 64}, Shape{16, 32}});
  EXPECT_THAT(cols.status().message(), HasSubstr("v: bf16[16, 32]"));
  auto shape = weights.get_stacked(store, std::array<std::string, 1>{"q"}, std::array{Shape{16, 64}});
  EXPECT_EQ(shape.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms
