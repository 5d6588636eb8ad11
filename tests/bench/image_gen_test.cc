#include "bench/image_gen.h"

#include <gtest/gtest.h>

namespace mms::bench {
namespace {

TEST(Qwen25VlRule, MatchesKnownCounts) {
  EXPECT_EQ(qwen25vl_image_tokens(1280, 720), 1196);  // SOURCES.md
  EXPECT_EQ(qwen25vl_image_tokens(448, 448), 256);
  EXPECT_EQ(qwen25vl_image_tokens(28, 28), 4);       // raised to min_pixels 56x56
  EXPECT_EQ(qwen25vl_image_tokens(20000, 20000), 127 * 127);  // scaled under max_pixels, floored
  EXPECT_EQ(qwen25vl_image_tokens(0, 10), 0);
}

TEST(Qwen25VlRule, SizeForTokensRoundTrips) {
  for (int64_t tokens : {64, 256, 690, 1196, 1222, 4096}) {
    ImageSize s = image_size_for_tokens(tokens);
    EXPECT_EQ(s.width % 28, 0);
    EXPECT_EQ(s.height % 28, 0);
    EXPECT_NEAR(qwen25vl_image_tokens(s.width, s.height), tokens, tokens * 0.04) << tokens;
  }
}

TEST(ImageGen, EncodesJpegAndPngWithMagicBytes) {
  auto jpg = encode_test_image({320, 240}, ImageFormat::kJpeg, 1);
  ASSERT_TRUE(jpg.ok()) << jpg.status().to_string();
  EXPECT_EQ(static_cast<uint8_t>((*jpg)[0]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>((*jpg)[1]), 0xD8);
  auto png = encode_test_image({64, 48}, ImageFormat::kPng, 1);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png->substr(1, 3), "PNG");
  EXPECT_NE(*encode_test_image({64, 48}, ImageFormat::kPng, 2), *png);  // seeds differ
  EXPECT_FALSE(encode_test_image({0, 5}, ImageFormat::kJpeg, 1).ok());
}

TEST(ImageGen, Base64AndDataUrl) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  auto url = image_data_url({56, 56}, ImageFormat::kPng, 0);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->rfind("data:image/png;base64,iVBORw0KGgo", 0), 0u);
  EXPECT_EQ(parse_image_size("1280x720")->height, 720);
  EXPECT_FALSE(parse_image_size("1280").ok());
  EXPECT_EQ(*parse_image_format("jpg"), ImageFormat::kJpeg);
}

}  // namespace
}  // namespace mms::bench
