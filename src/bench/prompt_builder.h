// Prompt text of requested token lengths, built from a word corpus so tokenizers see real words. Lengths
// use a chars-per-token ratio: ~4 by default (an estimate), or one measured against the target's
// /tokenize. Mooncake prefix blocks map to deterministic 512-token texts, so equal hash ids give equal
// prompt prefixes. Immutable after setup; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/trace.h"

namespace mms::bench {

class PromptBuilder {
 public:
  // `corpus`: any text (split into words); empty: a built-in English word corpus.
  explicit PromptBuilder(const std::string& corpus = "", double chars_per_token = 4.0);

  void set_chars_per_token(double c) { chars_per_token_ = c; }
  double chars_per_token() const { return chars_per_token_; }

  // About `tokens` tokens of corpus text starting at a position chosen by `seed`.
  std::string text(int64_t tokens, uint64_t seed) const;
  // The prompt for one trace request: its prefix blocks (if any), then text unique to `index`, about
  // r.input_tokens tokens in all.
  std::string prompt_for(const TraceRequest& r, int64_t index) const;

 private:
  std::vector<std::string> words_;
  double chars_per_token_;
};

}  // namespace mms::bench
