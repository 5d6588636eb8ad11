#include "bench/sse_parser.h"

#include <gtest/gtest.h>

namespace mms::bench {
namespace {

std::vector<SseEvent> parse_in_pieces(std::string_view text, size_t piece) {
  SseParser p;
  std::vector<SseEvent> out;
  for (size_t i = 0; i < text.size(); i += piece) p.feed(text.substr(i, piece), out);
  p.finish(out);
  return out;
}

TEST(SseParser, SplitsAnywhereWithSameResult) {
  const std::string text =
      ": keep-alive\r\n\r\n"
      "data: {\"a\":1}\r\n\r\n"
      "event: error\ndata: line one\ndata: line two\n\n"
      "data:nospace\r\rid: 7\ndata: [DONE]\n\n";
  for (size_t piece = 1; piece <= text.size(); ++piece) {
    auto ev = parse_in_pieces(text, piece);
    ASSERT_EQ(ev.size(), 4u) << "piece " << piece;
    EXPECT_EQ(ev[0].data, "{\"a\":1}");
    EXPECT_EQ(ev[0].event, "");
    EXPECT_EQ(ev[1].event, "error");
    EXPECT_EQ(ev[1].data, "line one\nline two");
    EXPECT_EQ(ev[2].data, "nospace");
    EXPECT_EQ(ev[3].data, "[DONE]");
    EXPECT_EQ(ev[3].id, "7");
  }
}

TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnd) {
  SseParser p;
  std::vector<SseEvent> out;
  p.feed("data: x\r", out);
  p.feed("\n\r", out);
  EXPECT_EQ(out.size(), 1u);  // "\r\n" ends the line, "\r" is the blank line
  p.feed("\ndata: y\r\n\r\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].data, "y");
}

TEST(SseParser, EmptyDataFieldStillDispatches) {
  auto ev = parse_in_pieces("data\n\ndata:\n\n", 3);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].data, "");
}

TEST(SseParser, BlankLinesAloneDispatchNothing) {
  auto ev = parse_in_pieces("\n\n\r\n: comment\n\nevent: ping\n\n", 2);
  EXPECT_TRUE(ev.empty());
}

TEST(SseParser, FinishDeliversUnterminatedEvent) {
  SseParser p;
  std::vector<SseEvent> out;
  p.feed("data: tail", out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(p.pending_bytes(), 10u);
  p.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "tail");
}

}  // namespace
}  // namespace mms::bench
