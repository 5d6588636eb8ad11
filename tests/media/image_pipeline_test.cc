// The one-call pipeline: URL -> MediaItem, stage prefixes on errors, declared media types.
#include "media/image_pipeline.h"

#include <gtest/gtest.h>

#include "media_test_util.h"

namespace mms::media {
namespace {

using testing::b64;

TEST(ImagePipeline, DataUrlToMediaItem) {
  const ImagePipeline pipeline({});
  const std::vector<uint8_t> png = mms::media::testing::read_bytes(mms::testing::test_data("test-image-252x168.png"));
  auto item = pipeline.process("data:image/png;base64," + b64(png));
  ASSERT_TRUE(item.ok()) << item.status().to_string();
  EXPECT_EQ((*item)->num_tokens, 54);
  EXPECT_EQ((*item)->source_width, 252);
  const auto ref = mms::testing::load_npy_f32(mms::testing::test_data("ref/tiny-qwen25vl.exact.image_input.npy"));
  ASSERT_EQ(ref.data.size(), (*item)->frames.size());
  EXPECT_EQ(ref.data, std::vector<float>((*item)->frames.begin(), (*item)->frames.end()));
  auto direct = pipeline.process_bytes(png);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*direct)->hash, (*item)->hash);
}

TEST(ImagePipeline, ErrorsNameTheStage) {
  const ImagePipeline pipeline({});
  auto fetch = pipeline.process("data:image/png;base64,%%%");
  EXPECT_EQ(fetch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fetch.status().message().rfind("image fetch: ", 0), 0u) << fetch.status().message();
  auto decode = pipeline.process("data:image/png;base64," + b64({'G', 'I', 'F', '8', '9', 'a', 1, 2, 3}));
  EXPECT_EQ(decode.status().message().rfind("image decode: ", 0), 0u) << decode.status().message();
  auto video = pipeline.process("data:video/mp4;base64,AAAA");
  EXPECT_NE(video.status().message().find("expected an image"), std::string::npos);
  Qwen2VLOverrides too_big;
  too_big.max_pixels = int64_t{1} << 40;
  auto pre = pipeline.process_bytes(testing::media_file("src/png_rgb.png"), too_big);
  EXPECT_EQ(pre.status().message().rfind("image preprocessing: ", 0), 0u) << pre.status().message();
}

}  // namespace
}  // namespace mms::media
