// StreamingDecoder and byte-level decoding: whole characters only, same text as decode(), U+FFFD for
// incomplete tails and invalid bytes.
#include <gtest/gtest.h>

#include <random>

#include "model/tokenizer/byte_level.h"
#include "tokenizer_fixtures.h"

namespace mms::testing {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

bool is_valid_utf8(const std::string& s) {
  std::string out;
  return tokenizer::append_valid_utf8(s, true, &out) == s.size() && out == s;
}

TEST(TokenizerByteLevel, Gpt2Mapping) {
  EXPECT_EQ(tokenizer::byte_to_unicode(' '), "Ġ");
  EXPECT_EQ(tokenizer::byte_to_unicode('\n'), "Ċ");
  EXPECT_EQ(tokenizer::byte_to_unicode('a'), "a");
  EXPECT_EQ(tokenizer::byte_to_unicode(0xAD), "Ń");
  EXPECT_EQ(tokenizer::byte_to_unicode(0xF0), "ð");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string mapped = tokenizer::bytes_to_byte_level(all), back;
  EXPECT_TRUE(tokenizer::byte_level_to_bytes(mapped, &back));
  EXPECT_EQ(back, all);
}

TEST(TokenizerByteLevel, ValidUtf8Sanitizing) {
  auto fix = [](std::string_view in, bool final) {
    std::string out;
    size_t n = tokenizer::append_valid_utf8(in, final, &out);
    return std::make_pair(n, out);
  };
  EXPECT_EQ(fix("héllo 世界 😀", true).second, "héllo 世界 😀");
  EXPECT_EQ(fix("a\xF0\x9F", false), std::make_pair(size_t{1}, std::string("a")));  // held back
  EXPECT_EQ(fix("a\xF0\x9F", true).second, "a" + kFFFD);                           // one U+FFFD
  EXPECT_EQ(fix("\xF0" "a", true).second, kFFFD + "a");
  EXPECT_EQ(fix("\x80\x80", false).second, kFFFD + kFFFD);  // stray continuation bytes
  EXPECT_EQ(fix("\xC0\xAF", true).second, kFFFD + kFFFD);   // overlong
  EXPECT_EQ(fix("\xED\xA0\x80", true).second, kFFFD + kFFFD + kFFFD);  // surrogate
  EXPECT_EQ(fix("\xE4\xBD", true).second, kFFFD);  // incomplete at the end: one
}

TEST(TokenizerStreamingDecoder, EmitsWholeCharactersOnly) {
  for (TokSource s : {TokSource::kTinyGguf, TokSource::kTinyHf, TokSource::kFullGguf}) {
    const Tokenizer* tok = fixture_tokenizer(s);
    ASSERT_NE(tok, nullptr);
    for (const std::string text : {"emoji: 😀 🚀 👍🏽 🇺🇸", "你好，世界！这是一个测试。", "héllo <|im_end|> wörld"}) {
      std::vector<int32_t> ids = tok->encode(text);
      StreamingDecoder dec(*tok);
      std::string joined;
      int held_back = 0;
      for (int32_t id : ids) {
        std::string piece = dec.feed(id);
        EXPECT_TRUE(is_valid_utf8(piece)) << tok_source_name(s);
        EXPECT_EQ(piece.find(kFFFD), std::string::npos);
        if (piece.empty()) ++held_back;
        joined += piece;
      }
      EXPECT_EQ(dec.flush(), "");
      EXPECT_EQ(joined, tok->decode(ids));
      EXPECT_EQ(joined, text);
      if (s != TokSource::kFullGguf && text[0] != 'h') {
        EXPECT_GT(held_back, 0) << "the tiny vocabulary splits these characters into byte tokens";
      }
    }
  }
}

TEST(TokenizerStreamingDecoder, FlushReplacesIncompleteTail) {
  const Tokenizer* tok = fixture_tokenizer(TokSource::kTinyGguf);
  ASSERT_NE(tok, nullptr);
  const int32_t f0 = *tok->token_to_id("ð"), x9f = *tok->token_to_id("Ł"), a = *tok->token_to_id("a");
  EXPECT_EQ(tok->token_bytes(f0), "\xF0");
  StreamingDecoder dec(*tok);
  EXPECT_EQ(dec.feed(a), "a");
  EXPECT_EQ(dec.feed(f0), "");
  EXPECT_EQ(dec.feed(x9f), "");
  EXPECT_EQ(dec.flush(), kFFFD);
  EXPECT_EQ(dec.flush(), "");
  EXPECT_EQ(dec.feed(a), "a");  // starts afresh after a flush
  // decode() does the same at the end and for invalid bytes inside.
  std::vector<int32_t> tail = {a, f0, x9f};
  EXPECT_EQ(tok->decode(tail), "a" + kFFFD);
  std::vector<int32_t> inside = {f0, a, x9f, a};
  EXPECT_EQ(tok->decode(inside), kFFFD + "a" + kFFFD + "a");
}

TEST(TokenizerStreamingDecoder, RandomByteTokensMatchDecode) {
  const Tokenizer* tok = fixture_tokenizer(TokSource::kTinyHf);
  ASSERT_NE(tok, nullptr);
  std::vector<int32_t> byte_ids;
  for (int b = 0; b < 256; ++b) {
    byte_ids.push_back(*tok->token_to_id(tokenizer::byte_to_unicode(static_cast<uint8_t>(b))));
  }
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<int32_t> ids;
    int len = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) {
      // Mostly bytes >= 0x80 so that partial, complete and invalid sequences all occur.
      uint32_t b = rng() % 4 == 0 ? rng() % 256 : 0x80 + rng() % 0x78;
      ids.push_back(byte_ids[b]);
    }
    StreamingDecoder dec(*tok);
    std::string joined;
    for (int32_t id : ids) {
      std::string piece = dec.feed(id);
      ASSERT_TRUE(is_valid_utf8(piece));
      joined += piece;
    }
    joined += dec.flush();
    ASSERT_EQ(joined, tok->decode(ids)) << "iteration " << iter;
  }
}

TEST(TokenizerStreamingDecoder, SkipSpecial) {
  const Tokenizer* tok = fixture_tokenizer(TokSource::kTinyGguf);
  ASSERT_NE(tok, nullptr);
  StreamingDecoder dec(*tok, /*skip_special=*/true);
  std::string out;
  for (int32_t id : tok->encode("Hi<|im_end|>")) out += dec.feed(id);
  EXPECT_EQ(out + dec.flush(), "Hi");
}

}  // namespace
}  // namespace mms::testing
