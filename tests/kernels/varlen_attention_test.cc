// varlen_attention: the reference against a direct softmax definition, then every variant against ref on
// batches of sequences of mixed lengths (windows of 4..64 rows, a frame of 700), head_dim 32/40/80/128,
// partial problems (a head range, a block of query rows, separate query and key ranges, empty sequences),
// and strided rows (q/k/v/out inside wider buffers). Rows outside the problem hold NaN, so reading or writing
// past a sequence fails the comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/kernel_test_util.h"
#include "kernels/varlen_attention.h"

namespace mms::kernels {
namespace {

using mms::testing::random_floats;

// q, k, v [rows, stride] with n_heads * head_dim used columns at offset `col0`; NaN elsewhere.
struct Problem {
  int32_t n_heads, head_dim;
  int64_t stride;
  std::vector<int32_t> cu;  // shared by q and k unless a test changes it
  std::vector<float> q, k, v;

  Problem(std::mt19937& rng, std::vector<int32_t> lens, int32_t heads, int32_t d, int64_t extra_cols)
      : n_heads(heads), head_dim(d), stride(heads * d + extra_cols) {
    cu.push_back(0);
    for (int32_t l : lens) cu.push_back(cu.back() + l);
    const size_t n = static_cast<size_t>(cu.back() * stride);
    q = random_floats(rng, n, -2.f, 2.f);
    k = random_floats(rng, n, -2.f, 2.f);
    v = random_floats(rng, n);
    for (int64_t r = 0; r < cu.back(); ++r)
      for (int64_t c = heads * d; c < stride; ++c) q[r * stride + c] = k[r * stride + c] = v[r * stride + c] = NAN;
  }
  VarlenAttentionArgs args(float* out) const {
    VarlenAttentionArgs a;
    a.q = q.data();
    a.k = k.data();
    a.v = v.data();
    a.q_stride = a.kv_stride = a.out_stride = stride;
    a.out = out;
    a.cu_seqlens_q = a.cu_seqlens_k = cu.data();
    a.num_seqs = static_cast<int32_t>(cu.size() - 1);
    a.n_heads = n_heads;
    a.head_dim = head_dim;
    a.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    return a;
  }
  std::vector<float> nan_out() const { return std::vector<float>(q.size(), NAN); }
};

TEST(VarlenAttentionRef, MatchesDefinitionInDouble) {
  std::mt19937 rng(21);
  Problem p(rng, {3, 5}, 2, 4, 0);
  std::vector<float> out = p.nan_out();
  ref::varlen_attention(p.args(out.data()));
  for (size_t s = 0; s + 1 < p.cu.size(); ++s) {
    for (int32_t i = p.cu[s]; i < p.cu[s + 1]; ++i) {
      for (int32_t h = 0; h < 2; ++h) {
        std::vector<double> w;
        for (int32_t j = p.cu[s]; j < p.cu[s + 1]; ++j) {
          double dot = 0;
          for (int d = 0; d < 4; ++d) dot += double(p.q[i * 8 + h * 4 + d]) * p.k[j * 8 + h * 4 + d];
          w.push_back(std::exp(dot / 2.0));
        }
        const double sum = std::accumulate(w.begin(), w.end(), 0.0);
        for (int d = 0; d < 4; ++d) {
          double o = 0;
          for (int32_t j = p.cu[s]; j < p.cu[s + 1]; ++j) o += w[j - p.cu[s]] / sum * p.v[j * 8 + h * 4 + d];
          EXPECT_NEAR(out[i * 8 + h * 4 + d], o, 1e-6) << "row " << i << " head " << h;
        }
      }
    }
  }
}

class VarlenAttentionVariantTest : public ::testing::TestWithParam<const VarlenAttentionVariant*> {};

float compare(const VarlenAttentionVariant& v, const VarlenAttentionArgs& want_args, const VarlenAttentionArgs& got_args,
              const std::vector<float>& want, const std::vector<float>& got) {
  ref::varlen_attention(want_args);
  v.fn(got_args);
  float err = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "wrote outside the problem at " << i;
    } else {
      err = std::max(err, std::fabs(got[i] - want[i]));
    }
  }
  return err;
}

TEST_P(VarlenAttentionVariantTest, MatchesRef) {
  const VarlenAttentionVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(22);
  testing::ErrorReport report("varlen_attention");
  const std::vector<std::vector<int32_t>> batches = {{1}, {64, 64, 16, 32, 32, 8}, {4, 700, 17}, {300}};
  for (const auto& lens : batches) {
    for (int32_t d : {32, 40, 80, 128}) {
      for (int32_t heads : {1, 3}) {
        Problem p(rng, lens, heads, d, /*extra_cols=*/5);
        std::vector<float> want = p.nan_out(), got = p.nan_out();
        const float err = compare(v, p.args(want.data()), p.args(got.data()), want, got);
        EXPECT_LE(err, 2e-6f) << v.name << " D=" << d << " heads=" << heads << " seqs=" << lens.size();
        report.add(v.name, err);
      }
    }
  }
}

// A sub-problem as the vision encoder issues it: heads [1, 3) of 4 and query rows [100, 260) of a 700-row
// sequence attending to all of its keys; plus a sequence with no keys (zeros) and one with no queries.
TEST_P(VarlenAttentionVariantTest, PartialProblems) {
  const VarlenAttentionVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(23);
  Problem p(rng, {700}, 4, 40, 0);
  const int32_t cu_q[] = {100, 260, 260, 300};
  const int32_t cu_k[] = {0, 700, 5, 5};
  std::vector<float> want = p.nan_out(), got = p.nan_out();
  auto args_for = [&](std::vector<float>& out) {
    VarlenAttentionArgs a = p.args(out.data());
    a.q += 40, a.k += 40, a.v += 40, a.out += 40;
    a.n_heads = 2;
    a.cu_seqlens_q = cu_q;
    a.cu_seqlens_k = cu_k;
    a.num_seqs = 3;
    return a;
  };
  const float err = compare(v, args_for(want), args_for(got), want, got);
  EXPECT_LE(err, 2e-6f);
  // Row 100 was computed (heads 1..2 only); rows 260..299 are zeros (no keys); row 99 untouched.
  EXPECT_FALSE(std::isnan(got[100 * 160 + 40]));
  EXPECT_TRUE(std::isnan(got[100 * 160]));
  EXPECT_EQ(got[270 * 160 + 50], 0.0f);
  EXPECT_TRUE(std::isnan(got[99 * 160 + 40]));
}

INSTANTIATE_TEST_SUITE_P(All, VarlenAttentionVariantTest,
                         ::testing::ValuesIn(testing::non_ref(varlen_attention_variants())), testing::VariantName());

}  // namespace
}  // namespace mms::kernels
