#include "common/status.h"

#include <gtest/gtest.h>

namespace mms {
namespace {

StatusOr<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value must be positive, got " + std::to_string(v));
  return v;
}

Status use(int v, int* out) {
  MMS_ASSIGN_OR_RETURN(*out, parse_positive(v));
  return ok_status();
}

TEST(StatusTest, OkAndError) {
  EXPECT_TRUE(ok_status().ok());
  Status s = not_found("tensor 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.to_string(), "NotFound: tensor 'x'");
  EXPECT_EQ(s.with_context("model.gguf").message(), "model.gguf: tensor 'x'");
}

TEST(StatusTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_TRUE(use(3, &out).ok());
  EXPECT_EQ(out, 3);
  Status s = use(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("-1"), std::string::npos);
}

}  // namespace
}  // namespace mms
