// M-RoPE positions (HF get_rope_index): text, images, Qwen2-VL and Qwen2.5-VL video, the delta, slices
// (chunked prefill, decode) against the whole prompt, and errors. The golden tests check the fixtures'
// llama.cpp positions too.
#include "model/mrope_positions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/model_loader.h"
#include "model/vision/vision_encoder.h"
#include "testing/test_data.h"

namespace mms {
namespace {

using ::testing::HasSubstr;

struct Rows {
  std::vector<int32_t> t, h, w;
};

Rows rows_of(const MropePositions& p) {
  const auto b = p.positions.begin();
  const int64_t n = p.num_tokens;
  return {{b, b + n}, {b + n, b + 2 * n}, {b + 2 * n, b + 3 * n}};
}

std::vector<int32_t> iota_from(int32_t first, int32_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v[i] = first + i;
  return v;
}

TEST(MropePositions, TextOnlyIsPlainPositions) {
  auto p = compute_mrope_positions(5, {}, MropeRule{});
  ASSERT_TRUE(p.ok());
  const Rows r = rows_of(*p);
  EXPECT_EQ(r.t, iota_from(0, 5));
  EXPECT_EQ(r.h, r.t);
  EXPECT_EQ(r.w, r.t);
  EXPECT_EQ(p->delta, 0);
}

// Two images: 2 text tokens, a 2x3 (merged) image, 1 text token, a 1x2 image right after, 2 text tokens.
TEST(MropePositions, ImagesAndText) {
  const MropeMediaSpan spans[] = {{.offset = 2, .grid_t = 1, .grid_h = 4, .grid_w = 6},
                                  {.offset = 9, .grid_t = 1, .grid_h = 2, .grid_w = 4},
                                  {.offset = 11, .grid_t = 1, .grid_h = 2, .grid_w = 2}};
  auto p = compute_mrope_positions(14, spans, MropeRule{});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  const Rows r = rows_of(*p);
  // text 0,1 | image at base 2: rows 2..3, cols 2..4 | text 5 | image base 6 (1 row, 2 cols) | image base 8
  // (adjacent: no text between) | text 9, 10.
  EXPECT_EQ(r.t, (std::vector<int32_t>{0, 1, 2, 2, 2, 2, 2, 2, 5, 6, 6, 8, 9, 10}));
  EXPECT_EQ(r.h, (std::vector<int32_t>{0, 1, 2, 2, 2, 3, 3, 3, 5, 6, 6, 8, 9, 10}));
  EXPECT_EQ(r.w, (std::vector<int32_t>{0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(p->delta, 11 - 14);
}

// HF's docstring example: a video of 3 temporal patches of 2x2 merged tokens, 2-frame patches at 1 fps
// (second_per_grid_t = 2) and 25 tokens per second: temporal positions step by 50; then 5 text tokens.
TEST(MropePositions, Qwen25VlVideoTimeScale) {
  const MropeMediaSpan spans[] = {
      {.offset = 0, .grid_t = 3, .grid_h = 4, .grid_w = 4, .is_video = true, .second_per_grid_t = 2.0}};
  auto p = compute_mrope_positions(17, spans, MropeRule{.spatial_merge_size = 2, .tokens_per_second = 25});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  const Rows r = rows_of(*p);
  EXPECT_EQ(r.t, (std::vector<int32_t>{0, 0, 0, 0, 50, 50, 50, 50, 100, 100, 100, 100, 101, 102, 103, 104, 105}));
  EXPECT_EQ(r.h, (std::vector<int32_t>{0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 101, 102, 103, 104, 105}));
  EXPECT_EQ(r.w, (std::vector<int32_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 101, 102, 103, 104, 105}));
  EXPECT_EQ(p->delta, 106 - 17);
}

TEST(MropePositions, FractionalTimeIsTruncated) {
  // 0.75 s per temporal patch at 2 tokens/s: 0, 1.5, 3, 4.5 -> 0, 1, 3, 4. One token per frame-pair.
  const MropeMediaSpan spans[] = {
      {.offset = 1, .grid_t = 4, .grid_h = 2, .grid_w = 2, .is_video = true, .second_per_grid_t = 0.75}};
  auto p = compute_mrope_positions(6, spans, MropeRule{.spatial_merge_size = 2, .tokens_per_second = 2});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(rows_of(*p).t, (std::vector<int32_t>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(rows_of(*p).h, (std::vector<int32_t>{0, 1, 1, 1, 1, 6}));
}

TEST(MropePositions, Qwen2VlVideoUsesFramePairIndex) {
  const MropeMediaSpan spans[] = {
      {.offset = 1, .grid_t = 3, .grid_h = 2, .grid_w = 4, .is_video = true, .second_per_grid_t = 2.0}};
  auto p = compute_mrope_positions(8, spans, MropeRule{.spatial_merge_size = 2, .tokens_per_second = 0});
  ASSERT_TRUE(p.ok());
  const Rows r = rows_of(*p);
  EXPECT_EQ(r.t, (std::vector<int32_t>{0, 1, 1, 2, 2, 3, 3, 4}));
  EXPECT_EQ(r.h, (std::vector<int32_t>{0, 1, 1, 1, 1, 1, 1, 4}));
  EXPECT_EQ(r.w, (std::vector<int32_t>{0, 1, 2, 1, 2, 1, 2, 4}));
  // Under Qwen2.5-VL's rule an image's frames all sit at the same time (HF: second_per_grid_t = 0).
  MropeMediaSpan image = spans[0];
  image.is_video = false;
  auto q = compute_mrope_positions(8, std::span(&image, 1), MropeRule{.spatial_merge_size = 2, .tokens_per_second = 2});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(rows_of(*q).t, (std::vector<int32_t>{0, 1, 1, 1, 1, 1, 1, 3}));
}

// A chat-shaped prompt as HF get_rope_index sees it (hand-computed): "a b <vs>" + image (grid 1x4x4: 2x2 merged)
// + "<ve> c d <vs>" + video (grid 3x4x6: 3 frame pairs of 2x3 merged) + "<ve> e". 31 tokens.
//   text 0..2 -> 0, 1, 2
//   image at index 3, base 3: t 3; h 3 3 4 4; w 3 4 3 4; text continues at 3 + max(0, 1, 1) + 1 = 5
//   text 7..10 -> 5..8
//   video at index 11, base 9: h 9 + (0 0 0 1 1 1), w 9 + (0 1 2 0 1 2) per frame pair;
//     Qwen2.5-VL (tokens_per_second 2, second_per_grid_t 1.0 = 2 frames at fps 2): t 9, 11, 13, text at 9 + 4 + 1
//     Qwen2-VL (frame-pair index): t 9, 10, 11, text at 9 + max(2, 1, 2) + 1
TEST(MropePositions, HfGetRopeIndexImageThenVideo) {
  const MropeMediaSpan spans[] = {
      {.offset = 3, .grid_t = 1, .grid_h = 4, .grid_w = 4},
      {.offset = 11, .grid_t = 3, .grid_h = 4, .grid_w = 6, .is_video = true, .second_per_grid_t = 1.0}};
  const std::vector<int32_t> video_h = {9, 9, 9, 10, 10, 10}, video_w = {9, 10, 11, 9, 10, 11};
  auto expect = [&](const MropeRule& rule, std::vector<int32_t> frame_t, int32_t after) {
    auto p = compute_mrope_positions(31, spans, rule);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    Rows want;
    auto text = [&](std::initializer_list<int32_t> ps) {
      for (int32_t x : ps) want.t.push_back(x), want.h.push_back(x), want.w.push_back(x);
    };
    text({0, 1, 2});
    want.t.insert(want.t.end(), {3, 3, 3, 3});
    want.h.insert(want.h.end(), {3, 3, 4, 4});
    want.w.insert(want.w.end(), {3, 4, 3, 4});
    text({5, 6, 7, 8});
    for (int32_t t : frame_t) {
      want.t.insert(want.t.end(), 6, t);
      want.h.insert(want.h.end(), video_h.begin(), video_h.end());
      want.w.insert(want.w.end(), video_w.begin(), video_w.end());
    }
    text({after, after + 1});
    const Rows got = rows_of(*p);
    EXPECT_EQ(got.t, want.t);
    EXPECT_EQ(got.h, want.h);
    EXPECT_EQ(got.w, want.w);
    EXPECT_EQ(p->delta, after + 2 - 31);
    auto delta = compute_mrope_delta(31, spans, rule);
    ASSERT_TRUE(delta.ok());
    EXPECT_EQ(*delta, p->delta);
  };
  expect(MropeRule{.spatial_merge_size = 2, .tokens_per_second = 2}, {9, 11, 13}, 14);
  expect(MropeRule{.spatial_merge_size = 2, .tokens_per_second = 0}, {9, 10, 11}, 12);
  // Sampled at fps 4, one frame pair covers 0.5 s: Qwen2.5-VL's times are 0, 1, 2 (as Qwen2-VL's indices).
  MropeMediaSpan fast[] = {spans[0], spans[1]};
  fast[1].second_per_grid_t = 0.5;
  auto p = compute_mrope_positions(31, fast, MropeRule{.spatial_merge_size = 2, .tokens_per_second = 2});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(rows_of(*p).t[11 + 6], 10);
  EXPECT_EQ(rows_of(*p).t[11 + 12], 11);
  EXPECT_EQ(rows_of(*p).t[29], 12);
}

TEST(MropePositions, SlicesMatchWholeAndDecodeContinues) {
  const MropeMediaSpan spans[] = {
      {.offset = 3, .grid_t = 1, .grid_h = 6, .grid_w = 10},
      {.offset = 20, .grid_t = 2, .grid_h = 4, .grid_w = 4, .is_video = true, .second_per_grid_t = 1.0}};
  const MropeRule rule{.spatial_merge_size = 2, .tokens_per_second = 2};
  const int64_t n = 30;
  auto whole = compute_mrope_positions(n, spans, rule);
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  auto delta = compute_mrope_delta(n, spans, rule);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(*delta, whole->delta);
  for (int64_t a = 0; a <= n + 3; ++a) {
    for (int64_t b = a; b <= n + 3; ++b) {
      const int64_t stride = b - a + 2;  // a wider row stride, as in a batch with other sequences
      std::vector<int32_t> out(static_cast<size_t>(3 * stride), -7);
      ASSERT_TRUE(compute_mrope_positions_slice(spans, rule, a, b, out.data(), stride).ok());
      for (int64_t i = a; i < b; ++i) {
        for (int s = 0; s < 3; ++s) {
          const int32_t want = i < n ? whole->positions[s * n + i] : static_cast<int32_t>(i + whole->delta);
          ASSERT_EQ(out[s * stride + (i - a)], want) << "slice [" << a << ", " << b << ") index " << i << " section " << s;
        }
      }
      EXPECT_EQ(out[b - a], -7) << "wrote past the slice";
    }
  }
}

TEST(MropePositions, PromptEndingInAnImage) {
  const MropeMediaSpan spans[] = {{.offset = 1, .grid_t = 1, .grid_h = 2, .grid_w = 6}};
  auto p = compute_mrope_positions(4, spans, MropeRule{});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delta, 1 + 3 - 4);  // positions 0 | 1, 1..3: the next token is at 4 = index 4 + delta
  int32_t next[3];
  ASSERT_TRUE(compute_mrope_positions_slice(spans, MropeRule{}, 4, 5, next, 1).ok());
  EXPECT_EQ(next[0], 4);
  EXPECT_EQ(next[2], 4);
}

TEST(MropePositions, Errors) {
  const MropeRule rule;
  auto err = [&](std::vector<MropeMediaSpan> spans, int64_t n) {
    return compute_mrope_positions(n, spans, rule).status();
  };
  EXPECT_THAT(err({{.offset = 0, .grid_h = 2, .grid_w = 2}, {.offset = 0, .grid_h = 2, .grid_w = 2}}, 4).message(),
              HasSubstr("overlaps"));
  EXPECT_THAT(err({{.offset = 3, .grid_h = 4, .grid_w = 2}}, 4).message(), HasSubstr("past the 4-token prompt"));
  EXPECT_THAT(err({{.offset = 0, .grid_h = 3, .grid_w = 2}}, 4).message(), HasSubstr("multiples of the merge size"));
  EXPECT_THAT(err({{.offset = 0, .grid_t = 0, .grid_h = 2, .grid_w = 2}}, 4).message(), HasSubstr("empty"));
  EXPECT_FALSE(compute_mrope_positions(-1, {}, rule).ok());
  int32_t out[3];
  EXPECT_FALSE(compute_mrope_positions_slice({}, rule, 2, 1, out, 1).ok());
  EXPECT_FALSE(compute_mrope_positions_slice({}, rule, 0, 2, out, 1).ok());
}

TEST(MropePositions, RuleFromConfig) {
  ModelConfig c;
  c.mrope_spatial_merge_size = 2;
  c.mrope_tokens_per_second = 2;
  const MropeRule r = mrope_rule(c);
  EXPECT_EQ(r.spatial_merge_size, 2);
  EXPECT_EQ(r.tokens_per_second, 2);
  EXPECT_EQ(mrope_span_tokens({.grid_t = 2, .grid_h = 12, .grid_w = 18}, 2), 2 * 6 * 9);
}


// A GGUF decoder (arch qwen2vl: no time scale) served with a Qwen2.5-VL mmproj takes the tower's 2 (HF's
// default); with a Qwen2-VL mmproj it keeps Qwen2-VL's frame-pair rule. An HF config's own value wins.
TEST(MropePositions, RuleOfGgufPairFollowsTheMmproj) {
  auto lm = load_model(testing::test_data("tiny-qwen2vl-f32.gguf"));
  ASSERT_TRUE(lm.ok()) << lm.status().to_string();
  EXPECT_EQ(lm->config.mrope_tokens_per_second, 0);
  auto q25 = load_vision_encoder_gguf(testing::test_data("tiny-qwen25vl-mmproj-f32.gguf"));
  auto q2 = load_vision_encoder_gguf(testing::test_data("tiny-qwen2vl-mmproj-f32.gguf"));
  ASSERT_TRUE(q25.ok() && q2.ok());
  EXPECT_EQ(mrope_rule(lm->config, (*q25)->config()).tokens_per_second, 2.0);
  EXPECT_EQ(mrope_rule(lm->config, (*q25)->config()).spatial_merge_size, 2);
  EXPECT_EQ(mrope_rule(lm->config, (*q2)->config()).tokens_per_second, 0.0);
  ModelConfig hf = lm->config;
  hf.mrope_tokens_per_second = 4;
  EXPECT_EQ(mrope_rule(hf, (*q25)->config()).tokens_per_second, 4.0);
}

}  // namespace
}  // namespace mms
