#include "model/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>

#include "model/tokenizer/byte_level.h"

namespace mms::tokenizer {

bool normalize(Normalization form, std::string_view text, std::string* out) {
  if (form == Normalization::kNone || is_ascii(text)) {
    out->assign(text);
    return true;
  }
  int options = UTF8PROC_STABLE;
  switch (form) {
    case Normalization::kNFC: options |= UTF8PROC_COMPOSE; break;
    case Normalization::kNFD: options |= UTF8PROC_DECOMPOSE; break;
    case Normalization::kNFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case Normalization::kNFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    case Normalization::kNone: break;
  }
  utf8proc_uint8_t* result = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &result,
                                    static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(result);
    out->assign(text);
    return false;
  }
  out->assign(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
  std::free(result);
  return true;
}

}  // namespace mms::tokenizer
