// EncoderRunner: encoder jobs advanced in slices give the same rows as one uninterrupted run, a zero
// budget advances exactly one work unit, items already held or queued are not encoded twice, and freed
// rows are gone.
#include "exec/encoder_runner.h"

#include <gtest/gtest.h>

#include "media/qwen2vl_preprocess.h"
#include "testing/test_data.h"

namespace mms {
namespace {

std::shared_ptr<const media::MediaItem> item(int w, int h, int seed) {
  media::RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 7 + seed * 31) % 251);
  auto m = media::qwen2vl_preprocess_image(img, media::Qwen2VLImageOptions{});
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return std::make_shared<const media::MediaItem>(std::move(*m));
}

TEST(EncoderRunner, SlicesMatchOneRunAndZeroBudgetRunsOneUnit) {
  auto enc = load_vision_encoder_gguf(testing::test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  ASSERT_TRUE(enc.ok()) << enc.status().to_string();
  const std::vector<std::shared_ptr<const media::MediaItem>> items = {item(112, 56, 1), item(56, 84, 2)};
  VisionInput inputs[2];
  for (int i = 0; i < 2; ++i) inputs[i] = VisionInput{items[i]->frames, 1, items[i]->height, items[i]->width};
  auto probe = (*enc)->start(inputs);
  ASSERT_TRUE(probe.ok());
  const int64_t num_units = (*probe)->num_units();

  EncoderRunner whole(**enc), sliced(**enc);
  ASSERT_TRUE(whole.start(items).ok());
  EXPECT_EQ(whole.run_for(-1).size(), 2u);
  ASSERT_TRUE(sliced.start(items).ok());
  ASSERT_TRUE(sliced.start(items).ok());  // already queued: no second job
  int64_t calls = 0;
  std::vector<Hash128> finished;
  while (!sliced.idle()) {
    std::vector<Hash128> done = sliced.run_for(0);
    finished.insert(finished.end(), done.begin(), done.end());
    ++calls;
  }
  EXPECT_EQ(calls, num_units);
  ASSERT_EQ(finished.size(), 2u);
  for (const auto& m : items) {
    const auto a = whole.rows(m->hash), b = sliced.rows(m->hash);
    ASSERT_EQ(a.size(), static_cast<size_t>(m->num_tokens * (*enc)->config().out_hidden_size));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << i;
  }
  ASSERT_TRUE(sliced.start(items).ok());  // held: nothing to do
  EXPECT_TRUE(sliced.idle());
  sliced.free(items[0]->hash);
  EXPECT_TRUE(sliced.rows(items[0]->hash).empty());
  EXPECT_FALSE(sliced.rows(items[1]->hash).empty());
  EXPECT_EQ(sliced.stats().num_items_encoded, 2);
}

}  // namespace
}  // namespace mms
