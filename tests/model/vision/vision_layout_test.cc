// Window layout (HF get_window_index) against the fixture's window_layout.json, edge cases of the window grid,
// the 2x2-group patch order, and the 2-D RoPE angles.
#include "model/vision/vision_layout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "testing/test_data.h"

namespace mms {
namespace {

TEST(VisionLayout, WindowIndexMatchesHfForTheFixtureImage) {
  std::ifstream in(testing::test_data("ref/tiny-qwen25vl.window_layout.json"));
  const nlohmann::json want = nlohmann::json::parse(in);
  const VisionGrid grid{want["grid_thw"][0], want["grid_thw"][1], want["grid_thw"][2]};
  const int64_t window_units = want["window_size_px"].get<int64_t>() / 2 / want["patch_size"].get<int64_t>();
  EXPECT_EQ(window_units, want["vit_merger_window_size"].get<int64_t>());
  const WindowLayout got = window_layout(grid, 2, window_units);
  EXPECT_EQ(got.window_index, want["window_index"].get<std::vector<int32_t>>());
  EXPECT_EQ(got.cu_window_seqlens, want["cu_window_seqlens"].get<std::vector<int32_t>>());
}

TEST(VisionLayout, WindowsRepeatPerFramePairAndDropEmptyOnes) {
  // 2 frame pairs of an 8x8-unit grid: exactly 2x2 windows each (HF pads a full empty window row and column,
  // which unique_consecutive removes).
  const WindowLayout wl = window_layout(VisionGrid{2, 16, 16}, 2, 4);
  ASSERT_EQ(wl.cu_window_seqlens.size(), 9u);
  for (size_t i = 0; i + 1 < wl.cu_window_seqlens.size(); ++i)
    EXPECT_EQ(wl.cu_window_seqlens[i + 1] - wl.cu_window_seqlens[i], 64);
  ASSERT_EQ(wl.window_index.size(), 128u);
  EXPECT_EQ(wl.window_index[16], 4);    // second window starts at unit (0, 4)
  EXPECT_EQ(wl.window_index[64], 64);   // second frame pair starts with its own unit 0
  std::vector<int32_t> sorted = wl.window_index;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> all(128);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);  // a permutation
}

TEST(VisionLayout, GridSmallerThanOneWindow) {
  const WindowLayout wl = window_layout(VisionGrid{1, 2, 6}, 2, 4);  // 1x3 units
  EXPECT_EQ(wl.window_index, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(wl.cu_window_seqlens, (std::vector<int32_t>{0, 12}));
}

TEST(VisionLayout, PatchRowsFollowMergeGroups) {
  std::vector<PatchRow> rows;
  append_patch_rows(VisionGrid{1, 4, 4}, 3, 2, {0, 1, 2, 3}, &rows);
  ASSERT_EQ(rows.size(), 16u);
  // Unit 1 (top right) holds patches (0,2) (0,3) (1,2) (1,3).
  const int want[4][2] = {{0, 2}, {0, 3}, {1, 2}, {1, 3}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rows[4 + i].y, want[i][0]);
    EXPECT_EQ(rows[4 + i].x, want[i][1]);
    EXPECT_EQ(rows[4 + i].input, 3);
  }
  rows.clear();
  append_patch_rows(VisionGrid{2, 2, 2}, 0, 2, {1}, &rows);  // unit 1 = frame pair 1's only unit
  EXPECT_EQ(rows[0].t, 1);
}

TEST(VisionLayout, RopeRowSplitsPairsBetweenRowAndColumn) {
  const auto inv = vision_rope_inv_freq(8, 10000.0);  // head_dim 8: 2 frequencies, 1 and 10000^-0.5
  ASSERT_EQ(inv.size(), 2u);
  EXPECT_DOUBLE_EQ(inv[0], 1.0);
  EXPECT_NEAR(inv[1], 0.01, 1e-15);
  float c[4], s[4];
  vision_rope_row(3, 5, inv, c, s);
  EXPECT_FLOAT_EQ(c[0], static_cast<float>(std::cos(3.0)));
  EXPECT_FLOAT_EQ(s[1], static_cast<float>(std::sin(0.03)));
  EXPECT_FLOAT_EQ(c[2], static_cast<float>(std::cos(5.0)));
  EXPECT_FLOAT_EQ(s[3], static_cast<float>(std::sin(0.05)));
}

}  // namespace
}  // namespace mms
