// Hand-built tokenizers: Llama 3's digit grouping and ignore_merges, the family split patterns,
// added-token options, GGUF metadata variants, and the errors bad files must give.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/gguf/gguf_file.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/tokenizer.h"
#include "testing/gguf_writer.h"

namespace mms {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

// A small Llama-3-style tokenizer.json: vocab ids 0..14, merges "1 2", "12 3", "4 5", "a b", "Ġ ab".
json llama3_style_json(const std::string_view pattern = tokenizer::kLlama3Pattern) {
  json vocab = {{"1", 0}, {"2", 1},  {"3", 2},   {"4", 3},    {"5", 4}, {"12", 5}, {"123", 6}, {"45", 7},
                {"Ġ", 8}, {"a", 9}, {"b", 10}, {"ab", 11}, {"Ġab", 12}, {"ba", 14}};
  json j;
  j["version"] = "1.0";
  j["added_tokens"] = json::array({{{"id", 13}, {"content", "<|begin_of_text|>"}, {"single_word", false},
                                    {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                                    {"special", true}}});
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "Split"}, {"pattern", {{"Regex", std::string(pattern)}}},
                     {"behavior", "Isolated"}, {"invert", false}},
                    {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                     {"use_regex", false}}})}};
  j["post_processor"] = {
      {"type", "Sequence"},
      {"processors",
       json::array({{{"type", "ByteLevel"}},
                    {{"type", "TemplateProcessing"},
                     {"single", json::array({{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
                                             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}}})}};
  j["decoder"] = {{"type", "ByteLevel"}};
  j["model"] = {{"type", "BPE"}, {"ignore_merges", true}, {"vocab", vocab},
                {"merges", json::array({"1 2", "12 3", "4 5", json::array({"a", "b"}), "Ġ ab"})}};
  return j;
}

std::unique_ptr<Tokenizer> from_json(const json& j, const std::string& config = "") {
  auto tok = Tokenizer::from_hf_json(j.dump(), config, "test-tokenizer.json");
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

TEST(TokenizerLlama3, DigitsGroupInThrees) {
  auto tok = from_json(llama3_style_json(), R"({"bos_token": "<|begin_of_text|>", "eos_token": null})");
  ASSERT_NE(tok, nullptr);
  // "12345" -> "123" | "45"; "1234512" -> "123" | "451" | "2" -> 123, (4 5 -> 45) 1, 2
  EXPECT_THAT(tok->encode("12345"), ElementsAre(6, 7));
  EXPECT_THAT(tok->encode("1234512"), ElementsAre(6, 7, 0, 1));
  EXPECT_THAT(tok->encode("ab ab"), ElementsAre(11, 12));
  EXPECT_EQ(tok->decode(tok->encode("1234512 ab")), "1234512 ab");
  // ignore_merges: "ba" is a vocabulary entry that no merge produces.
  EXPECT_THAT(tok->encode("ba"), ElementsAre(14));
  EXPECT_EQ(tok->bos_id(), 13);
  EXPECT_FALSE(tok->eos_id().has_value());
  EXPECT_TRUE(tok->add_bos()) << "the TemplateProcessing post_processor prepends the bos token";
  EXPECT_THAT(tok->encode("<|begin_of_text|>12"), ElementsAre(13, 5));
}

TEST(TokenizerLlama3, QwenPatternSplitsEveryDigitAndMergesApplyWithoutIgnoreMerges) {
  json j = llama3_style_json(tokenizer::kQwen2Pattern);
  j["model"]["ignore_merges"] = false;
  auto tok = from_json(j, R"({"add_bos_token": false, "bos_token": {"content": "<|begin_of_text|>"}})");
  ASSERT_NE(tok, nullptr);
  EXPECT_THAT(tok->encode("12345"), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(tok->encode("ba"), ElementsAre(10, 9));
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(tok->bos_id(), 13);
}

TEST(TokenizerLlama3, FromGgufWithLlamaBpePre) {
  std::vector<std::string> tokens = {"1", "2", "3", "4", "5", "12", "123", "45", "Ġ", "a", "b", "ab", "Ġab",
                                     "<|begin_of_text|>", "ba"};
  testing::GgufWriter w;
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", "llama-bpe");
  w.add_string_array("tokenizer.ggml.tokens", tokens);
  std::vector<int32_t> types(tokens.size(), 1);
  types[13] = 3;
  w.add_array<int32_t>("tokenizer.ggml.token_type", testing::GgufWriter::kI32, types);
  w.add_string_array("tokenizer.ggml.merges", {"1 2", "12 3", "4 5", "a b", "Ġ ab"});
  w.add_scalar<uint32_t>("tokenizer.ggml.bos_token_id", testing::GgufWriter::kU32, 13);
  std::vector<uint8_t> bytes = w.finish();
  auto file = gguf::GgufFile::parse(bytes, "llama3-test.gguf");
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok = Tokenizer::from_gguf(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_THAT((*tok)->encode("<|begin_of_text|>12345 ab"), ElementsAre(13, 6, 7, 12));
  EXPECT_THAT((*tok)->encode("ba"), ElementsAre(14));
  EXPECT_TRUE((*tok)->add_bos()) << "llama3 pre defaults add_bos to true";
  EXPECT_TRUE((*tok)->is_special(13));
}

std::vector<std::string> split(std::string_view pattern, std::string_view text) {
  auto pt = tokenizer::PreTokenizer::create({std::string(pattern)});
  EXPECT_TRUE(pt.ok());
  std::vector<std::string> out;
  (*pt)->split(text, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}

TEST(TokenizerPreTokenizer, FamilyPatterns) {
  using tokenizer::kGpt2Pattern;
  using tokenizer::kLlama3Pattern;
  using tokenizer::kQwen2Pattern;
  EXPECT_THAT(split(kQwen2Pattern, "12345"), ElementsAre("1", "2", "3", "4", "5"));
  EXPECT_THAT(split(kLlama3Pattern, "12345"), ElementsAre("123", "45"));
  EXPECT_THAT(split(kGpt2Pattern, "12345"), ElementsAre("12345"));
  EXPECT_THAT(split(kQwen2Pattern, "I'M here"), ElementsAre("I", "'M", " here"));
  EXPECT_THAT(split(kGpt2Pattern, "I'M here"), ElementsAre("I", "'", "M", " here"));
  EXPECT_THAT(split(kQwen2Pattern, "a  b\n\n c  "), ElementsAre("a", " ", " b", "\n\n", " c", "  "));
  EXPECT_THAT(split(kQwen2Pattern, "héllo,世界"), ElementsAre("héllo", ",世界"));
  // Invalid UTF-8 is passed through as its own piece.
  EXPECT_THAT(split(kQwen2Pattern, "ab\xFF" "cd"), ElementsAre("ab", "\xFF", "cd"));
  auto pt = tokenizer::PreTokenizer::create({std::string(kQwen2Pattern)});
  ASSERT_TRUE(pt.ok());
  std::printf("PCRE2 JIT: %s\n", (*pt)->jit() ? "yes" : "no");
}

TEST(TokenizerAddedTokens, LstripRstripAndNonSpecial) {
  json j = llama3_style_json();
  j["model"]["vocab"]["<mask>"] = 15;
  j["added_tokens"].push_back({{"id", 15}, {"content", "<mask>"}, {"lstrip", true}, {"rstrip", true},
                               {"normalized", false}, {"special", false}});
  j["added_tokens"].push_back({{"id", 16}, {"content", "<|begin_of_text|>x"}, {"special", true}});
  auto tok = from_json(j);
  ASSERT_NE(tok, nullptr);
  EXPECT_THAT(tok->encode("ab  <mask>  ab"), ElementsAre(11, 15, 11));
  EXPECT_THAT(tok->encode("ab <mask> ab", /*parse_special=*/false), ElementsAre(11, 15, 11));
  // Longest match wins.
  EXPECT_THAT(tok->encode("<|begin_of_text|>x1"), ElementsAre(16, 0));
  EXPECT_FALSE(tok->is_special(15));
  EXPECT_EQ(tok->decode(std::vector<int32_t>{11, 15, 11}, /*skip_special=*/true), "ab<mask>ab");
}

// ---- errors: Status, never a crash ----

Status hf_error(const std::string& tokenizer_json, const std::string& config = "") {
  auto tok = Tokenizer::from_hf_json(tokenizer_json, config, "bad/tokenizer.json");
  return tok.ok() ? ok_status() : tok.status();
}

TEST(TokenizerErrors, MalformedTokenizerJson) {
  for (const std::string bad : {"", "{", "[1, 2]", "{\"model\": 3}", "{\"model\": {\"vocab\": {\"a\": \"x\"}}}",
                                "{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [7]}}",
                                "{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [[\"a\", \"b\", \"c\"]]}}",
                                "{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [{\"a\": 1}]}}",
                                "{\"model\": {\"vocab\": {\"a\": {\"b\": 1}}}}", "{\"model\": {\"vocab\": [1, 2]}}",
                                "{\"model\": {\"vocab\": {\"a\": 0, \"b\": 0}}}"}) {
    Status s = hf_error(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad << " -> " << s.to_string();
    EXPECT_THAT(s.message(), HasSubstr("bad/tokenizer.json"));
  }
}

TEST(TokenizerErrors, MissingVocab) {
  Status s = hf_error(R"({"model": {"type": "BPE", "merges": []}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("model.vocab"));
}

TEST(TokenizerErrors, BadContent) {
  json j = llama3_style_json();
  j["model"]["merges"].push_back("x y");
  EXPECT_THAT(hf_error(j.dump()).message(), HasSubstr("'x y'"));

  j = llama3_style_json("(unclosed");
  EXPECT_THAT(hf_error(j.dump()).message(), HasSubstr("does not compile"));

  j = llama3_style_json();
  j["model"]["type"] = "WordPiece";
  EXPECT_EQ(hf_error(j.dump()).code(), StatusCode::kUnimplemented);

  j = llama3_style_json();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_EQ(hf_error(j.dump()).code(), StatusCode::kUnimplemented);

  j = llama3_style_json();
  j["pre_tokenizer"] = nullptr;
  EXPECT_THAT(hf_error(j.dump()).message(), HasSubstr("ByteLevel"));

  j = llama3_style_json();
  EXPECT_EQ(hf_error(j.dump(), "{not json").code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(hf_error(j.dump(), R"({"eos_token": "<nope>"})").message(), HasSubstr("<nope>"));
  EXPECT_TRUE(hf_error(j.dump(), R"({"eos_token": null, "bos_token": 5})").ok());
}

Status gguf_error(const std::function<void(testing::GgufWriter&)>& fill) {
  testing::GgufWriter w;
  fill(w);
  std::vector<uint8_t> bytes = w.finish();
  auto file = gguf::GgufFile::parse(bytes, "bad.gguf");
  if (!file.ok()) return file.status();
  auto tok = Tokenizer::from_gguf(**file);
  return tok.ok() ? ok_status() : tok.status();
}

TEST(TokenizerErrors, Gguf) {
  auto base = [](testing::GgufWriter& w, const std::string& model, const std::string& pre) {
    w.add_string("tokenizer.ggml.model", model);
    if (!pre.empty()) w.add_string("tokenizer.ggml.pre", pre);
    w.add_string_array("tokenizer.ggml.tokens", {"a", "b", "ab"});
    w.add_string_array("tokenizer.ggml.merges", {"a b"});
  };
  EXPECT_TRUE(gguf_error([&](testing::GgufWriter& w) { base(w, "gpt2", ""); }).ok());
  Status s = gguf_error([&](testing::GgufWriter& w) { base(w, "gpt2", "mystery-pre"); });
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("mystery-pre"));
  EXPECT_THAT(s.message(), HasSubstr("bad.gguf"));
  EXPECT_EQ(gguf_error([&](testing::GgufWriter& w) { base(w, "llama", "default"); }).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(gguf_error([](testing::GgufWriter& w) { w.add_string("tokenizer.ggml.model", "gpt2"); }).code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(gguf_error([&](testing::GgufWriter& w) {
                 base(w, "gpt2", "qwen2");
                 w.add_scalar<uint32_t>("tokenizer.ggml.eos_token_id", testing::GgufWriter::kU32, 99);
               }).ok());
  EXPECT_FALSE(gguf_error([&](testing::GgufWriter& w) {
                 w.add_string("tokenizer.ggml.model", "gpt2");
                 w.add_string_array("tokenizer.ggml.tokens", {"a", "b"});
                 w.add_string_array("tokenizer.ggml.merges", {"a b"});
               }).ok());
}

}  // namespace
}  // namespace mms
