// Unicode normalization applied to text before pre-tokenization when a tokenizer asks for it
// (tokenizer.json "normalizer": NFC etc.), via utf8proc. Stateless; thread-safe. Used by BpeTokenizer.
#pragma once

#include <string>
#include <string_view>

namespace mms::tokenizer {

enum class Normalization { kNone, kNFC, kNFD, kNFKC, kNFKD };

// Writes the normalized form of `text` to `out`. ASCII text is returned unchanged without calling
// utf8proc. Returns false (and copies the text unchanged) when the text is not valid UTF-8.
bool normalize(Normalization form, std::string_view text, std::string* out);

}  // namespace mms::tokenizer
