// The resampler against Pillow's Image.resize (reducing_gap=None) on the same source: every filter,
// up and down, odd ratios, one axis only, and the same size. Must be bit-exact.
#include "media/resample.h"

#include <gtest/gtest.h>

#include "media_test_util.h"

namespace mms::media {
namespace {

using testing::compare_pixels;
using testing::media_file;
using testing::media_manifest;
using testing::read_ppm;

ResampleFilter filter_named(const std::string& name) {
  if (name == "bicubic") return ResampleFilter::kBicubic;
  if (name == "bilinear") return ResampleFilter::kBilinear;
  if (name == "lanczos") return ResampleFilter::kLanczos;
  if (name == "box") return ResampleFilter::kBox;
  if (name == "hamming") return ResampleFilter::kHamming;
  ADD_FAILURE() << "filter " << name;
  return ResampleFilter::kBicubic;
}

TEST(Resample, BitExactWithPillow) {
  auto src = decode_image(media_file("src/resize_src.png"));  // exact decode is tested elsewhere
  ASSERT_TRUE(src.ok()) << src.status().to_string();
  const auto manifest = media_manifest();
  int cases = 0, worst = 0;
  for (const auto& e : manifest["resize"]) {
    const std::string ref = e["ref"];
    SCOPED_TRACE(ref);
    auto out = resize_rgb(*src, e["width"].get<int>(), e["height"].get<int>(), filter_named(e["filter"]));
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const auto d = compare_pixels(*out, read_ppm(ref));
    EXPECT_EQ(d.max_diff, 0) << d.num_different << " samples differ";
    worst = std::max(worst, d.max_diff);
    ++cases;
  }
  EXPECT_GE(cases, 20);
  std::printf("resample: %d sizes/filters vs Pillow, max |diff| = %d\n", cases, worst);
}

TEST(Resample, RejectsBadArguments) {
  RgbImage img;
  img.width = 2, img.height = 2;
  img.pixels.assign(12, 7);
  EXPECT_EQ(resize_rgb(img, 0, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resize_rgb(img, 4, 4, ResampleFilter::kNearest).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resize_rgb(RgbImage{}, 4, 4).status().code(), StatusCode::kInvalidArgument);
  auto same = resize_rgb(img, 2, 2);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->pixels, img.pixels);
  auto up = resize_rgb(img, 9, 3);  // a flat image stays flat through any filter
  ASSERT_TRUE(up.ok());
  for (uint8_t v : up->pixels) EXPECT_EQ(v, 7);
  EXPECT_EQ(resample_filter_from_pil(3).value(), ResampleFilter::kBicubic);
  EXPECT_FALSE(resample_filter_from_pil(0).ok());
  EXPECT_FALSE(resample_filter_from_pil(9).ok());
}

}  // namespace
}  // namespace mms::media
