#include "model/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace mms::tokenizer {

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::~PreTokenizer() = default;

StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::create(const std::vector<std::string>& patterns) {
  std::unique_ptr<PreTokenizer> pt(new PreTokenizer());
  pt->jit_ = !patterns.empty();
  for (const std::string& pattern : patterns) {
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    auto re = std::make_unique<Regex>();
    re->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_offset, nullptr);
    if (re->code == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof(msg));
      return invalid_argument("pre-tokenizer regex '" + pattern + "' does not compile at offset " +
                              std::to_string(err_offset) + ": " + reinterpret_cast<const char*>(msg));
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    pt->jit_ = pt->jit_ && re->jit;
    pt->regexes_.push_back(std::move(re));
  }
  return pt;
}

void PreTokenizer::split(std::string_view text,
                         const std::function<void(std::string_view)>& piece) const {
  if (text.empty()) return;
  split_level(0, text, piece);
}

void PreTokenizer::split_level(size_t level, std::string_view text,
                               const std::function<void(std::string_view)>& piece) const {
  if (level == regexes_.size()) {
    piece(text);
    return;
  }
  auto emit = [&](std::string_view s) {
    if (!s.empty()) split_level(level + 1, s, piece);
  };
  const Regex& re = *regexes_[level];
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re.code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0, emitted = 0;
  while (pos <= text.size()) {
    int rc = re.jit ? pcre2_jit_match(re.code, subject, text.size(), pos, 0, md, nullptr)
                    : pcre2_match(re.code, subject, text.size(), pos, 0, md, nullptr);
    if (rc < 0) break;  // PCRE2_ERROR_NOMATCH, or a resource limit: the rest is one gap
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t start = ov[0], end = ov[1];
    if (start > emitted) emit(text.substr(emitted, start - emitted));
    if (end > start) {
      emit(text.substr(start, end - start));
      emitted = end;
      pos = end;
    } else {
      // Empty match: step one byte (then on to the next character boundary).
      pos = start + 1;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
      emitted = start;
    }
  }
  if (emitted < text.size()) emit(text.substr(emitted));
  pcre2_match_data_free(md);
}

}  // namespace mms::tokenizer
