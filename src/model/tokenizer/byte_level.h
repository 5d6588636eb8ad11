// Byte-level helpers for GPT-2-style BPE: the byte <-> printable-unicode mapping that byte-level vocabularies
// are stored in ("Ġ" = 0x20), and UTF-8 sanitizing used by decoding. Pure functions over immutable tables;
// thread-safe. Used by the BPE tokenizer, its loaders and StreamingDecoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mms::tokenizer {

// The UTF-8 encoding of the code point GPT-2 maps byte `b` to (e.g. 0x20 -> "Ġ", 'a' -> "a").
std::string_view byte_to_unicode(uint8_t b);

// Maps raw bytes to their byte-level form ("a b" -> "aĠb").
std::string bytes_to_byte_level(std::string_view bytes);

// The inverse: a byte-level string back to raw bytes. Code points outside the mapping are copied as their
// own UTF-8 bytes (what Hugging Face's ByteLevel decoder does); returns false if any were seen.
bool byte_level_to_bytes(std::string_view text, std::string* out);

// Appends `in` to `out` as valid UTF-8: well-formed sequences are copied, each maximal ill-formed subpart
// becomes U+FFFD (the Unicode "substitution of maximal subparts" practice). An incomplete sequence at the
// very end is replaced too when `final`, otherwise left unconsumed. Returns the number of bytes consumed
// (== in.size() when final).
size_t append_valid_utf8(std::string_view in, bool final, std::string* out);

bool is_ascii(std::string_view s);

}  // namespace mms::tokenizer
