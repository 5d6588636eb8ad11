// Added (special and user-defined) tokens and the matcher that splits them out of text before
// pre-tokenization: leftmost-longest match, with Hugging Face's lstrip/rstrip/single_word options.
// Immutable after construction; thread-safe. Used by BpeTokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mms::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;       // raw text, matched byte for byte
  bool special = false;      // matched only when parsing special tokens; dropped by skip_special
  bool lstrip = false;       // swallows whitespace on its left
  bool rstrip = false;       // swallows whitespace on its right
  bool normalized = false;   // matched against normalized text (after NFC etc.) instead of raw text
  bool single_word = false;  // matched only when not inside a word
};

class AddedTokenMatcher {
 public:
  struct Segment {
    int32_t id;             // token id, or -1 for a text segment
    std::string_view text;  // the text segment (empty for tokens)
  };

  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);
  bool empty() const { return tokens_.empty(); }

  // Appends the segments of `text` to `out`: maximal text runs and matched tokens, in order. Special
  // tokens are matched only when `parse_special`. Text segments are never empty.
  void split(std::string_view text, bool parse_special, std::vector<Segment>* out) const;

 private:
  std::vector<AddedToken> tokens_;                  // sorted by content length, longest first
  std::array<std::vector<uint32_t>, 256> by_first_;  // first byte -> indices into tokens_
};

}  // namespace mms::tokenizer
