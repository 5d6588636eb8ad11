// Qwen2-VL preprocessing: smart_resize against the Python definition on many sizes, the whole
// pipeline against a NumPy/Pillow re-run of transformers' _preprocess, the shared fixture image against
// the reference pixels fed to the vision tower, config parsing and the content hash.
#include "media/qwen2vl_preprocess.h"

#include <gtest/gtest.h>

#include <span>

#include "media_test_util.h"

namespace mms::media {
namespace {

using mms::testing::load_npy_f32;
using mms::testing::test_data;
using testing::media_file;
using testing::media_manifest;

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(Qwen2VLSmartResize, MatchesPython) {
  const auto manifest = media_manifest();
  int n = 0;
  for (const auto& c : manifest["smart_resize"]) {
    const int64_t h = c["height"], w = c["width"];
    auto r = qwen2vl_smart_resize(h, w, 28, c["min_pixels"], c["max_pixels"]);
    if (c.contains("error")) {
      EXPECT_FALSE(r.ok()) << h << "x" << w;
      if (!r.ok()) {
        EXPECT_NE(r.status().message().find("aspect ratio"), std::string::npos);
      }
    } else {
      ASSERT_TRUE(r.ok()) << h << "x" << w << ": " << r.status().to_string();
      EXPECT_EQ(r->height, c["resized_height"].get<int64_t>()) << h << "x" << w;
      EXPECT_EQ(r->width, c["resized_width"].get<int64_t>()) << h << "x" << w;
    }
    ++n;
  }
  EXPECT_GE(n, 70);
  // Round half to even: 70 / 28 = 2.5 -> 2.
  EXPECT_EQ(qwen2vl_smart_resize(70, 70, 28, 1, 1 << 30).value(), (ResizedSize{56, 56}));
  EXPECT_EQ(qwen2vl_smart_resize(720, 1280, 28, 3136, 12845056).value(), (ResizedSize{728, 1288}));
}

TEST(Qwen2VLPreprocess, PipelineMatchesTransformersOnPillow) {
  const auto manifest = media_manifest();
  for (const auto& p : manifest["pipeline"]) {
    const std::string name = p["name"];
    SCOPED_TRACE(name);
    auto img = decode_image(media_file(p["src"]));
    ASSERT_TRUE(img.ok());
    Qwen2VLImageOptions o;
    o.min_pixels = p["min_pixels"];
    o.max_pixels = p["max_pixels"];
    auto item = qwen2vl_preprocess_image(*img, o);
    ASSERT_TRUE(item.ok()) << item.status().to_string();
    EXPECT_EQ(item->height, p["resized_height"].get<int64_t>());
    EXPECT_EQ(item->width, p["resized_width"].get<int64_t>());
    const auto ref = load_npy_f32(test_data("media/" + p["ref"].get<std::string>()));
    ASSERT_EQ(ref.shape, (std::vector<int64_t>{3, item->height, item->width}));
    const float diff = max_abs_diff(item->frames, ref.data);
    EXPECT_EQ(diff, 0.f);
    std::printf("pipeline %s: %lldx%lld, max |diff| vs transformers-on-Pillow = %g\n", name.c_str(),
                static_cast<long long>(item->width), static_cast<long long>(item->height), diff);
  }
}

TEST(Qwen2VLPreprocess, FixtureImageMatchesVisionTowerInput) {
  auto img = decode_image(testing::read_bytes(test_data("test-image-252x168.png")));
  ASSERT_TRUE(img.ok());
  auto options = load_qwen2vl_preprocessor_config(test_data("qwen2.5-vl.preprocessor_config.json"));
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  auto item = qwen2vl_preprocess_image(*img, *options);
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  EXPECT_EQ(item->kind, MediaKind::kImage);
  EXPECT_EQ(item->num_frames, 1);
  EXPECT_EQ(item->height, 168);
  EXPECT_EQ(item->width, 252);
  EXPECT_EQ(item->grid_t, 1);
  EXPECT_EQ(item->grid_h, 12);
  EXPECT_EQ(item->grid_w, 18);
  EXPECT_EQ(item->num_tokens, 54);
  const auto ref = load_npy_f32(test_data("ref/tiny-qwen25vl.exact.image_input.npy"));
  ASSERT_EQ(ref.shape, (std::vector<int64_t>{3, 168, 252}));
  const float diff = max_abs_diff(item->frames, ref.data);
  EXPECT_LE(diff, 1e-6f);
  std::printf("fixture 252x168: max |diff| vs tiny-qwen25vl.exact.image_input = %g\n", diff);
}

TEST(Qwen2VLPreprocess, ConfigForms) {
  auto qwen25 = load_qwen2vl_preprocessor_config(test_data("qwen2.5-vl.preprocessor_config.json"));
  ASSERT_TRUE(qwen25.ok());
  EXPECT_EQ(qwen25->min_pixels, 3136);
  EXPECT_EQ(qwen25->max_pixels, 12845056);
  EXPECT_EQ(qwen25->patch_size, 14);
  EXPECT_EQ(qwen25->merge_size, 2);
  EXPECT_EQ(qwen25->temporal_patch_size, 2);
  EXPECT_FLOAT_EQ(qwen25->image_std[2], 0.27577711f);

  auto sized = parse_qwen2vl_preprocessor_config(
      R"({"size": {"shortest_edge": 200704, "longest_edge": 1003520}, "patch_size": 16, "resample": 3,
          "image_mean": [0.5, 0.5, 0.5], "image_std": 0.5, "rescale_factor": 0.00392156862745098})");
  ASSERT_TRUE(sized.ok()) << sized.status().to_string();
  EXPECT_EQ(sized->min_pixels, 200704);
  EXPECT_EQ(sized->max_pixels, 1003520);
  EXPECT_EQ(sized->factor(), 32);
  EXPECT_EQ(sized->image_std[1], 0.5f);

  auto both = parse_qwen2vl_preprocessor_config(
      R"({"size": {"shortest_edge": 100, "longest_edge": 1000}, "max_pixels": 5000})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->min_pixels, 100);
  EXPECT_EQ(both->max_pixels, 5000);

  for (const char* bad : {"[1, 2]", "{\"patch_size\": \"14\"}", "{\"size\": {\"shortest_edge\": 4}}",
                          "{\"image_mean\": [0.5, 0.5]}", "{\"min_pixels\": 10, \"max_pixels\": 5}",
                          "{\"image_std\": [0, 1, 1]}", "{\"resample\": 0}", "not json"}) {
    auto r = parse_qwen2vl_preprocessor_config(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad << ": " << r.status().to_string();
  }
  EXPECT_EQ(load_qwen2vl_preprocessor_config("/nonexistent/preprocessor_config.json").status().code(),
            StatusCode::kNotFound);
}

TEST(Qwen2VLPreprocess, RequestOverrides) {
  auto img = decode_image(media_file("src/pipeline_150x100_max3136.png"));
  ASSERT_TRUE(img.ok());
  Qwen2VLImageOptions o;  // defaults: 150x100 -> 140x112 (5 x 4 merged units -> 20 tokens)
  auto base = qwen2vl_preprocess_image(*img, o);
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->num_tokens, 20);
  Qwen2VLOverrides ov;
  ov.max_pixels = 4 * 28 * 28;
  auto small = qwen2vl_preprocess_image(*img, o, ov);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->num_tokens, 2);
  EXPECT_NE(small->hash, base->hash);

  ov = {};
  ov.min_pixels = 1 << 30;  // over max_request_pixels
  auto r = qwen2vl_preprocess_image(*img, o, ov);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("min_pixels"), std::string::npos);
  ov = {};
  ov.min_pixels = 100000;
  ov.max_pixels = 50000;
  EXPECT_EQ(qwen2vl_preprocess_image(*img, o, ov).status().code(), StatusCode::kInvalidArgument);

  RgbImage strip;  // 1 x 300: aspect ratio 300 > 200
  strip.width = 300, strip.height = 1;
  strip.pixels.assign(900, 0);
  auto s = qwen2vl_preprocess_image(strip, o);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("aspect ratio must be smaller than 200"), std::string::npos);
}

TEST(Qwen2VLPreprocess, HashIgnoresContainerButNotParameters) {
  auto png = decode_image(media_file("src/png_rgb.png"));
  auto webp = decode_image(media_file("src/webp_lossless_png_rgb.webp"));
  ASSERT_TRUE(png.ok() && webp.ok());
  ASSERT_EQ(png->pixels, webp->pixels);
  Qwen2VLImageOptions o;
  auto a = qwen2vl_preprocess_image(*png, o);
  auto b = qwen2vl_preprocess_image(*webp, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->hash, b->hash);
  EXPECT_NE(a->hash, Hash128{});

  Qwen2VLImageOptions bigger = o;
  bigger.min_pixels = 200 * 28 * 28;
  Qwen2VLImageOptions other_mean = o;
  other_mean.image_mean[0] = 0.5f;
  Qwen2VLImageOptions other_filter = o;
  other_filter.resample = ResampleFilter::kBilinear;
  Qwen2VLImageOptions other_patch = o;
  other_patch.patch_size = 16;
  for (const Qwen2VLImageOptions& changed : {bigger, other_mean, other_filter, other_patch}) {
    auto c = qwen2vl_preprocess_image(*png, changed);
    ASSERT_TRUE(c.ok());
    EXPECT_NE(c->hash, a->hash);
  }
  RgbImage one_pixel_changed = *png;
  one_pixel_changed.pixels[100] ^= 1;
  EXPECT_NE(qwen2vl_preprocess_image(one_pixel_changed, o)->hash, a->hash);
}

TEST(Qwen2VLPreprocess, FramesPadToTemporalPatch) {
  auto img = decode_image(media_file("src/png_rgb.png"));  // 37 x 23 -> 56 x 28? smart_resize decides
  ASSERT_TRUE(img.ok());
  std::vector<RgbImage> frames(3, *img);
  frames[1].pixels[0] ^= 0x55;
  Qwen2VLImageOptions o;
  auto video = qwen2vl_preprocess_frames(frames, o);
  ASSERT_TRUE(video.ok()) << video.status().to_string();
  EXPECT_EQ(video->kind, MediaKind::kVideo);
  EXPECT_EQ(video->num_frames, 4);  // padded with the last frame
  EXPECT_EQ(video->grid_t, 2);
  const size_t frame = static_cast<size_t>(3 * video->height * video->width);
  ASSERT_EQ(video->frames.size(), 4 * frame);
  EXPECT_TRUE(std::equal(video->frames.begin() + 2 * frame, video->frames.begin() + 3 * frame,
                         video->frames.begin() + 3 * frame));
  EXPECT_EQ(video->num_tokens, 2 * video->grid_h * video->grid_w / 4);
  auto still = qwen2vl_preprocess_image(*img, o);
  EXPECT_NE(still->hash, video->hash);
  frames[2].width = 5;
  EXPECT_EQ(qwen2vl_preprocess_frames(frames, o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms::media
