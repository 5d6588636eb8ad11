// The reference cases (llama.cpp's ids) with the full and the tiny Qwen2 vocabulary, each loaded from
// GGUF and from tokenizer.json; the golden prompt; round trips; special-token ids.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/tokenizer/normalizer.h"
#include "tokenizer_fixtures.h"

namespace mms::testing {
namespace {

std::string printable(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

class TokenizerCases : public ::testing::TestWithParam<TokSource> {};

TEST_P(TokenizerCases, MatchLlamaCppIds) {
  const Tokenizer* tok = fixture_tokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  ASSERT_EQ(tokenizer_cases().size(), 25u);
  for (const TokenizerCase& c : tokenizer_cases()) {
    const auto& expected = is_full(GetParam()) ? c.ids_full : c.ids_tiny;
    EXPECT_EQ(tok->encode(c.text, /*parse_special=*/true), expected) << "text: \"" << printable(c.text) << "\"";
  }
}

TEST_P(TokenizerCases, DecodeInvertsEncode) {
  const Tokenizer* tok = fixture_tokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  for (const TokenizerCase& c : tokenizer_cases()) {
    std::string expected = c.text;
    if (is_hf(GetParam())) tokenizer::normalize(tokenizer::Normalization::kNFC, c.text, &expected);
    EXPECT_EQ(tok->decode(tok->encode(c.text, true)), expected);
    EXPECT_EQ(tok->decode(tok->encode(c.text, false)), expected);
  }
}

TEST_P(TokenizerCases, SpecialTokenIds) {
  const Tokenizer* tok = fixture_tokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  const int32_t base = is_full(GetParam()) ? 151643 : 2048;
  EXPECT_EQ(tok->token_to_id("<|endoftext|>"), base);
  EXPECT_EQ(tok->token_to_id("<|im_start|>"), base + 1);
  EXPECT_EQ(tok->token_to_id("<|im_end|>"), base + 2);
  EXPECT_TRUE(tok->is_special(base + 1));
  EXPECT_FALSE(tok->is_special(872));  // "user"
  EXPECT_EQ(tok->token_text(base + 2), "<|im_end|>");
  EXPECT_EQ(tok->token_text(1879), "Ġworld");
  EXPECT_EQ(tok->token_bytes(1879), " world");
  EXPECT_EQ(tok->eos_id(), base + 2);
  EXPECT_FALSE(tok->add_bos());
  // Special tokens decode as their text, and skip_special drops them.
  std::vector<int32_t> ids = {base + 1, 872, 198, base + 2};
  EXPECT_EQ(tok->decode(ids), "<|im_start|>user\n<|im_end|>");
  EXPECT_EQ(tok->decode(ids, /*skip_special=*/true), "user\n");
  if (is_full(GetParam())) {
    EXPECT_EQ(tok->vocab_size(), is_hf(GetParam()) ? 151669 : 151936);
  } else {
    EXPECT_EQ(tok->vocab_size(), is_hf(GetParam()) ? 2070 : 2112);
  }
}

TEST_P(TokenizerCases, ParseSpecialOffTreatsSpecialTokensAsText) {
  const Tokenizer* tok = fixture_tokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  const int32_t im_start = *tok->token_to_id("<|im_start|>");
  std::vector<int32_t> with = tok->encode("<|im_start|>user", true);
  std::vector<int32_t> without = tok->encode("<|im_start|>user", false);
  ASSERT_FALSE(with.empty());
  EXPECT_EQ(with[0], im_start);
  EXPECT_GT(without.size(), with.size());
  for (int32_t id : without) EXPECT_NE(id, im_start);
  EXPECT_EQ(tok->decode(without), "<|im_start|>user");
  // "<|im_start|>" as text is "<", "|", "im", "_start", "|>" pieces: no special id at all.
  for (int32_t id : without) EXPECT_FALSE(tok->is_special(id));
  // Non-special added tokens (<tool_call>) are still split out, as Hugging Face and llama.cpp do.
  const int32_t tool_call = *tok->token_to_id("<tool_call>");
  EXPECT_EQ(tok->encode("<tool_call>", false), std::vector<int32_t>{tool_call});
}

// The golden prompt of the logits fixtures encodes to the ids llama.cpp used (tiny vocabulary).
TEST(TokenizerGoldenPrompt, TinyVocabGgufAndHf) {
  auto ref = nlohmann::json::parse(read_text_file(test_data("ref/tiny-qwen2.exact.json")));
  auto expected = ref.at("prompt_token_ids").get<std::vector<int32_t>>();
  ASSERT_EQ(expected.size(), 47u);
  const std::string prompt = read_text_file(test_data("ref/prompt-text.txt"));
  for (TokSource s : {TokSource::kTinyGguf, TokSource::kTinyHf}) {
    const Tokenizer* tok = fixture_tokenizer(s);
    ASSERT_NE(tok, nullptr);
    EXPECT_EQ(tok->encode(prompt), expected) << tok_source_name(s);
    EXPECT_EQ(tok->decode(expected), prompt) << tok_source_name(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Sources, TokenizerCases,
                         ::testing::Values(TokSource::kFullGguf, TokSource::kFullHf, TokSource::kTinyGguf,
                                           TokSource::kTinyHf),
                         [](const ::testing::TestParamInfo<TokSource>& info) {
                           switch (info.param) {
                             case TokSource::kFullGguf: return std::string("FullGguf");
                             case TokSource::kFullHf: return std::string("FullHf");
                             case TokSource::kTinyGguf: return std::string("TinyGguf");
                             case TokSource::kTinyHf: return std::string("TinyHf");
                           }
                           return std::string("X");
                         });

}  // namespace
}  // namespace mms::testing
