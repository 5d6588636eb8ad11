// Shared by the tokenizer tests (header-only: only *_test.cc files are globbed): the four fixture
// tokenizers (full/tiny Qwen2 vocabulary, from GGUF and from tokenizer.json), loaded once per test binary,
// and the reference cases. Not thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "model/gguf/gguf_file.h"
#include "model/tokenizer/tokenizer.h"
#include "testing/test_data.h"

namespace mms::testing {

enum class TokSource { kFullGguf, kFullHf, kTinyGguf, kTinyHf };

struct TokenizerCase {
  std::string text;
  std::vector<int32_t> ids_full;
  std::vector<int32_t> ids_tiny;
};


inline const char* tok_source_name(TokSource s) {
  switch (s) {
    case TokSource::kFullGguf: return "full vocab, GGUF";
    case TokSource::kFullHf: return "full vocab, tokenizer.json";
    case TokSource::kTinyGguf: return "tiny vocab, GGUF";
    case TokSource::kTinyHf: return "tiny vocab, tokenizer.json";
  }
  return "?";
}
inline bool is_full(TokSource s) { return s == TokSource::kFullGguf || s == TokSource::kFullHf; }
inline bool is_hf(TokSource s) { return s == TokSource::kFullHf || s == TokSource::kTinyHf; }

inline std::string read_text_file(const std::string& path) {
  StatusOr<std::string> s = read_file(path);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : std::string();
}

namespace detail {

inline std::unique_ptr<Tokenizer> load(TokSource s) {
  StatusOr<std::unique_ptr<Tokenizer>> tok = invalid_argument("unset");
  if (is_hf(s)) {
    std::string dir = is_full(s) ? "tokenizer/qwen-" : "tiny-qwen2-hf/";
    std::string json_path = test_data(dir + "tokenizer.json");
    tok = Tokenizer::from_hf_json(read_text_file(json_path), read_text_file(test_data(dir + "tokenizer_config.json")),
                                  json_path);
  } else {
    auto file = gguf::GgufFile::open(test_data(is_full(s) ? "tokenizer/qwen2-vocab-only.gguf" : "tiny-qwen2-f32.gguf"));
    EXPECT_TRUE(file.ok()) << file.status().to_string();
    if (!file.ok()) return nullptr;
    tok = Tokenizer::from_gguf(**file);
  }
  EXPECT_TRUE(tok.ok()) << tok_source_name(s) << ": " << tok.status().to_string();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

}  // namespace detail

inline const Tokenizer* fixture_tokenizer(TokSource s) {
  static std::map<TokSource, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(s);
  if (it == cache.end()) it = cache.emplace(s, detail::load(s)).first;
  if (it->second == nullptr) ADD_FAILURE() << "no tokenizer for " << tok_source_name(s);
  return it->second.get();
}

inline const std::vector<TokenizerCase>& tokenizer_cases() {
  static const std::vector<TokenizerCase> cases = [] {
    std::vector<TokenizerCase> out;
    auto j = nlohmann::json::parse(read_text_file(test_data("ref/tokenizer-cases.json")), nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "ref/tokenizer-cases.json does not parse";
      return out;
    }
    for (const auto& c : j.at("cases")) {
      out.push_back({c.at("text").get<std::string>(), c.at("ids_qwen2_full").get<std::vector<int32_t>>(),
                     c.at("ids_tiny2112").get<std::vector<int32_t>>()});
    }
    return out;
  }();
  return cases;
}

}  // namespace mms::testing
