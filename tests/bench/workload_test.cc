#include "bench/workload.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/svg_plot.h"

namespace mms::bench {
namespace {

using nlohmann::json;

TEST(PromptBuilder, LengthFollowsCharsPerToken) {
  PromptBuilder p;
  EXPECT_NEAR(static_cast<double>(p.text(500, 1).size()), 2000, 1);
  p.set_chars_per_token(3.0);
  EXPECT_NEAR(static_cast<double>(p.text(500, 1).size()), 1500, 1);
  EXPECT_NE(p.text(50, 1), p.text(50, 2));
  EXPECT_NE(p.text(50, 1).find(' '), std::string::npos);  // words, not one blob
}

TEST(PromptBuilder, EqualPrefixBlocksGiveEqualPrefixes) {
  PromptBuilder p;
  TraceRequest a{0, 1600, 10, {0, 1, 2, 3}, {}};
  TraceRequest b{0, 1300, 10, {0, 1, 9}, {}};
  std::string pa = p.prompt_for(a, 0), pb = p.prompt_for(b, 1);
  size_t common = 0;
  while (common < pa.size() && common < pb.size() && pa[common] == pb[common]) ++common;
  EXPECT_GE(common, 2u * 512 * 4);      // blocks 0 and 1 are shared
  EXPECT_LT(common, 3u * 512 * 4 + 8);  // block 2 vs 9 differ
  EXPECT_NEAR(static_cast<double>(pa.size()), 1600 * 4, 40);
  TraceRequest c{0, 100, 10, {}, {}};
  EXPECT_NE(p.prompt_for(c, 5).substr(0, 20), p.prompt_for(c, 6).substr(0, 20));
}

TEST(Workload, ChatBodiesCarryImagesAndForcedLengths) {
  Trace t;
  t.requests.push_back({0.0, 64, 12, {}, {{448, 448}}});
  t.requests.push_back({0.5, 32, 7, {}, {}});
  PromptBuilder p;
  auto plan = build_plan(t, p, {.api = "chat", .model = "m"});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].path, "/v1/chat/completions");
  EXPECT_EQ((*plan)[0].image_tokens, 256);
  EXPECT_DOUBLE_EQ((*plan)[1].send_at_s, 0.5);
  json j = json::parse((*plan)[0].body);
  EXPECT_EQ(j["max_tokens"], 12);
  EXPECT_EQ(j["ignore_eos"], true);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  const json& content = j["messages"][0]["content"];
  EXPECT_EQ(content[0]["image_url"]["url"].get<std::string>().rfind("data:image/jpeg;base64,/9j/", 0), 0u);
  EXPECT_EQ(content[1]["type"], "text");
  auto comp = build_plan(t, p, {.api = "completions"});
  EXPECT_FALSE(comp.ok());  // images need chat
  t.requests.erase(t.requests.begin());
  comp = build_plan(t, p, {.api = "completions", .ignore_eos = false});
  ASSERT_TRUE(comp.ok());
  json c = json::parse((*comp)[0].body);
  EXPECT_TRUE(c.contains("prompt"));
  EXPECT_FALSE(c.contains("ignore_eos"));
}

TEST(SvgPlot, DrawsSeriesLegendAndReferenceLines) {
  auto cdf = cdf_points({3, 1, 2});
  ASSERT_EQ(cdf.size(), 3u);
  EXPECT_DOUBLE_EQ(cdf[0].first, 1);
  EXPECT_DOUBLE_EQ(cdf[2].second, 1.0);
  std::string svg = render_svg({"T <1>", "sub", "x", "y", 2.0, 0.9, 1.0}, {{"a", cdf}, {"b", {{0, 0}, {4, 1}}, true}});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("T &lt;1&gt;"), std::string::npos);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), 'p') > 0, true);
  size_t polylines = 0;
  for (size_t pos = 0; (pos = svg.find("<polyline", pos)) != std::string::npos; ++pos) ++polylines;
  EXPECT_EQ(polylines, 2u);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace mms::bench
