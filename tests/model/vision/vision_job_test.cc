// VisionEncodeJob: slicing never changes the result (tiny budgets == run_to_completion, bit for bit, also with
// attention split by heads and by query rows), batching equals encoding alone, a video of identical frames gives
// the image's embedding per frame pair, and the FLOP accounting adds up.
#include <gtest/gtest.h>

#include "vision_test_util.h"

namespace mms {
namespace {

using vision_testing::encode;
using vision_testing::load_image;
using testing::max_abs_diff;
using testing::test_data;

struct Fixture {
  const char* gguf;
  const char* image;
};
const Fixture kQwen2Vl{"tiny-qwen2vl-mmproj-f32.gguf", "ref/tiny-qwen2vl.exact.image_input.npy"};
const Fixture kQwen25Vl{"tiny-qwen25vl-mmproj-f32.gguf", "ref/tiny-qwen25vl.exact.image_input.npy"};

std::unique_ptr<VisionEncoder> load(const Fixture& f, const VisionEncoderOptions& o = {}) {
  auto enc = load_vision_encoder_gguf(test_data(f.gguf), o);
  EXPECT_TRUE(enc.ok()) << enc.status().to_string();
  return enc.ok() ? std::move(*enc) : nullptr;
}

class VisionJobTest : public ::testing::TestWithParam<Fixture> {};

TEST_P(VisionJobTest, SlicingIsBitIdentical) {
  const auto image = load_image(GetParam().image);
  const auto whole = encode(*load(GetParam()), {image.input()});
  // Default units: any budget gives the same bits.
  EXPECT_EQ(encode(*load(GetParam()), {image.input()}, 1), whole);
  // Units small enough that matmuls go in 16-row chunks and the tiny towers' attention splits by query blocks
  // (200k) or by heads (1M); then one unit per run() call, or a few.
  for (int64_t attention_unit : {200'000, 1'000'000}) {
    VisionEncoderOptions fine;
    fine.unit_flops = 1;
    fine.attention_unit_flops = attention_unit;
    auto enc = load(GetParam(), fine);
    const auto fine_whole = encode(*enc, {image.input()});
    int64_t calls_fine = 0, calls_coarse = 0;
    EXPECT_EQ(encode(*enc, {image.input()}, 1, &calls_fine), fine_whole);
    EXPECT_EQ(encode(*enc, {image.input()}, 3'000'000, &calls_coarse), fine_whole);
    EXPECT_GT(calls_fine, calls_coarse);
    EXPECT_GT(calls_coarse, 1);
    // Another split of the work (different units) agrees to rounding.
    ASSERT_EQ(whole[0].size(), fine_whole[0].size());
    EXPECT_LE(max_abs_diff(whole[0].data(), fine_whole[0].data(), whole[0].size()), 1e-5f) << attention_unit;
  }
}

TEST_P(VisionJobTest, BatchEqualsAlone) {
  auto enc = load(GetParam());
  const auto image = load_image(GetParam().image);
  // A second, different input: the image mirrored and darkened, at a different size (cropped to 56x84).
  const auto& px = image.npy.data;
  const int64_t H = image.npy.shape[1], W = image.npy.shape[2], h2 = 56, w2 = 84;
  std::vector<float> other(static_cast<size_t>(3 * h2 * w2));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h2; ++y)
      for (int64_t x = 0; x < w2; ++x) other[(c * h2 + y) * w2 + x] = 0.7f * px[(c * H + y) * W + (W - 1 - x)];
  const VisionInput second{other, 1, h2, w2};
  const auto alone0 = encode(*enc, {image.input()});
  const auto alone1 = encode(*enc, {second});
  const auto both = encode(*enc, {image.input(), second, image.input()}, 1);
  ASSERT_EQ(both.size(), 3u);
  ASSERT_EQ(both[1].size(), static_cast<size_t>(h2 / 28 * w2 / 28 * enc->config().out_hidden_size));
  EXPECT_LE(max_abs_diff(both[0].data(), alone0[0].data(), alone0[0].size()), 1e-5f);
  EXPECT_LE(max_abs_diff(both[1].data(), alone1[0].data(), alone1[0].size()), 1e-5f);
  EXPECT_LE(max_abs_diff(both[2].data(), alone0[0].data(), alone0[0].size()), 1e-5f);
}

TEST_P(VisionJobTest, VideoOfIdenticalFramesRepeatsTheImageEmbedding) {
  auto enc = load(GetParam());
  const auto image = load_image(GetParam().image);
  std::vector<float> video;
  for (int f = 0; f < 4; ++f) video.insert(video.end(), image.npy.data.begin(), image.npy.data.end());
  const VisionInput clip{video, 4, image.npy.shape[1], image.npy.shape[2]};
  auto grid = enc->grid_of(4, clip.height, clip.width);
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->t, 2);
  const auto still = encode(*enc, {image.input()});
  const auto moving = encode(*enc, {clip});
  ASSERT_EQ(moving[0].size(), 2 * still[0].size());
  const size_t n = still[0].size();
  EXPECT_LE(max_abs_diff(moving[0].data(), still[0].data(), n), 1e-5f);
  EXPECT_LE(max_abs_diff(moving[0].data() + n, still[0].data(), n), 1e-5f);
}

TEST_P(VisionJobTest, FlopAccounting) {
  VisionEncoderOptions o;
  o.unit_flops = 1'000'000;
  auto enc = load(GetParam(), o);
  const auto image = load_image(GetParam().image);
  const VisionInput in = image.input();
  auto job = enc->start(std::span<const VisionInput>(&in, 1));
  ASSERT_TRUE(job.ok());
  VisionEncodeJob& j = **job;
  EXPECT_GT(j.total_flops(), 0);
  EXPECT_EQ(j.remaining_flops(), j.total_flops());
  EXPECT_GT(j.num_units(), 10);
  int64_t prev = j.remaining_flops();
  while (!j.run(j.total_flops() / 10)) {
    EXPECT_LT(j.remaining_flops(), prev);
    prev = j.remaining_flops();
  }
  EXPECT_TRUE(j.done());
  EXPECT_EQ(j.remaining_flops(), 0);
  EXPECT_EQ(j.remaining_units(), 0);
  EXPECT_TRUE(j.run(1));  // a finished job stays finished
}

INSTANTIATE_TEST_SUITE_P(Tiny, VisionJobTest, ::testing::Values(kQwen2Vl, kQwen25Vl),
                         [](const auto& info) { return info.index == 0 ? std::string("Qwen2Vl") : "Qwen25Vl"; });

TEST(VisionJob, EmptyBatchIsDone) {
  auto enc = load(kQwen25Vl);
  auto job = enc->start({});
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE((*job)->done());
  EXPECT_EQ((*job)->total_flops(), 0);
}

TEST(VisionJob, StartRejectsBadInputs) {
  auto enc = load(kQwen25Vl);
  std::vector<float> px(3 * 56 * 56);
  const VisionInput bad_size{px, 1, 56, 50};
  EXPECT_EQ(enc->start(std::span<const VisionInput>(&bad_size, 1)).status().code(), StatusCode::kInvalidArgument);
  const VisionInput short_frames{std::span<const float>(px).first(100), 1, 56, 56};
  auto s = enc->start(std::span<const VisionInput>(&short_frames, 1)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 9408"), std::string::npos) << s.message();
  const VisionInput odd_frames{px, 3, 56, 56};
  EXPECT_EQ(enc->start(std::span<const VisionInput>(&odd_frames, 1)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms
