// resolve_kv_cache_dtype: --kv-cache-dtype's values, "auto" by the model's weight dtype.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exec/executor.h"
#include "kernels/attention.h"

namespace mms {
namespace {

TEST(KvCacheDtype, AutoIsF16ForSixteenBitModelsAndF32Otherwise) {
  if (!kernels::paged_attention_takes_f16()) {
    ModelConfig bf16;
    bf16.dtype = DType::kBF16;
    EXPECT_EQ(*resolve_kv_cache_dtype("auto", bf16), DType::kF32);
    EXPECT_EQ(resolve_kv_cache_dtype("f16", bf16).status().code(), StatusCode::kInvalidArgument);
    GTEST_SKIP() << "no attention kernel reads f16 K/V on this CPU: auto stays f32";
  }
  ModelConfig c;
  for (const auto& [weights, want] : {std::pair{DType::kBF16, DType::kF16}, std::pair{DType::kF16, DType::kF16},
                                      std::pair{DType::kF32, DType::kF32}}) {
    c.dtype = weights;
    auto got = resolve_kv_cache_dtype("auto", c);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << dtype_name(weights);
  }
  c.dtype = DType::kBF16;
  for (const char* name : {"f32", "float32"}) EXPECT_EQ(*resolve_kv_cache_dtype(name, c), DType::kF32) << name;
  c.dtype = DType::kF32;
  for (const char* name : {"f16", "float16", "half"}) EXPECT_EQ(*resolve_kv_cache_dtype(name, c), DType::kF16) << name;
  // Half the bytes per token.
  c.num_hidden_layers = 2;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  EXPECT_EQ(kv_bytes_per_token(c, DType::kF16) * 2, kv_bytes_per_token(c, DType::kF32));
}

TEST(KvCacheDtype, UnknownNameIsNamed) {
  auto got = resolve_kv_cache_dtype("fp8", ModelConfig{});
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(got.status().message(), ::testing::HasSubstr("kv_cache_dtype 'fp8' is not one of auto, f32, f16"));
}

}  // namespace
}  // namespace mms
