// PreTokenizer: splits text into pre-tokens with a chain of regexes (Hugging Face "Split" with behavior
// Isolated: matches and the gaps between them both become pieces), compiled with PCRE2 in UTF + UCP mode,
// JIT-compiled where available. Immutable after create(); split() is thread-safe. Used by BpeTokenizer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms::tokenizer {

// The split patterns of the byte-level BPE families.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  // Compiles the patterns (applied in order, each to the pieces of the previous one). An empty list
  // yields the whole text as one piece. Errors: InvalidArgument naming the pattern and PCRE2's message.
  static StatusOr<std::unique_ptr<PreTokenizer>> create(const std::vector<std::string>& patterns);
  ~PreTokenizer();

  // Calls `piece` for each non-empty pre-token, in order; the pieces concatenate to `text`. Invalid UTF-8
  // never matches and is passed through as gap pieces.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

  bool jit() const { return jit_; }

 private:
  struct Regex;
  PreTokenizer() = default;
  void split_level(size_t level, std::string_view text,
                   const std::function<void(std::string_view)>& piece) const;
  std::vector<std::unique_ptr<Regex>> regexes_;
  bool jit_ = false;
};

}  // namespace mms::tokenizer
