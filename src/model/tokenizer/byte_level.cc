#include "model/tokenizer/byte_level.h"

#include <array>
#include <cstring>

namespace mms::tokenizer {
namespace {

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

struct Tables {
  // byte -> its code point's UTF-8 (at most 2 bytes: all code points are < 0x800)
  std::array<std::string, 256> to_unicode;
  // code point (< 512) -> byte, or -1
  std::array<int16_t, 512> from_unicode;

  Tables() {
    from_unicode.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      uint32_t cp = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
      append_utf8(cp, &to_unicode[b]);
      from_unicode[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// Length of the well-formed prefix of a UTF-8 sequence starting at s[0] (1..4), 0 if s[0] is not a lead
// byte; *needed is the full length the lead byte asks for.
inline int valid_prefix(const unsigned char* s, size_t n, int* needed) {
  unsigned char c = s[0];
  int len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) { *needed = 1; return 1; }
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
  else { *needed = 1; return 0; }
  *needed = len;
  int k = 1;
  for (; k < len && k < static_cast<int>(n); ++k) {
    unsigned char cc = s[k];
    unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (cc < l || cc > h) break;
  }
  return k;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace

std::string_view byte_to_unicode(uint8_t b) { return tables().to_unicode[b]; }

std::string bytes_to_byte_level(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += t.to_unicode[c];
  return out;
}

bool byte_level_to_bytes(std::string_view text, std::string* out) {
  const Tables& t = tables();
  bool all_mapped = true;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    int needed = 1;
    int k = valid_prefix(s + i, n - i, &needed);
    if (k == needed) {
      uint32_t cp;
      if (k == 1) cp = s[i];
      else if (k == 2) cp = ((s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
      else cp = 0xFFFFFFFF;
      if (cp < 512 && t.from_unicode[cp] >= 0) {
        out->push_back(static_cast<char>(t.from_unicode[cp]));
      } else {
        out->append(text.substr(i, k));
        all_mapped = false;
      }
      i += k;
    } else {
      // Not valid UTF-8: copy the bytes through.
      size_t m = k == 0 ? 1 : k;
      out->append(text.substr(i, m));
      all_mapped = false;
      i += m;
    }
  }
  return all_mapped;
}

size_t append_valid_utf8(std::string_view in, bool final, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), i = 0;
  out->reserve(out->size() + n);
  while (i < n) {
    // ASCII fast path
    size_t j = i;
    while (j < n && s[j] < 0x80) ++j;
    if (j > i) {
      out->append(in.data() + i, j - i);
      i = j;
      if (i == n) break;
    }
    int needed = 1;
    int k = valid_prefix(s + i, n - i, &needed);
    if (k == needed) {
      out->append(in.data() + i, k);
      i += k;
    } else if (k > 0 && i + k == n) {
      // Incomplete sequence at the end: it may still complete.
      if (!final) return i;
      out->append(kReplacement);
      i = n;
    } else {
      out->append(kReplacement);
      i += k == 0 ? 1 : k;
    }
  }
  return n;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

}  // namespace mms::tokenizer
