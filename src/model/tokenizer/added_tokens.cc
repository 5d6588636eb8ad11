#include "model/tokenizer/added_tokens.h"

#include <algorithm>

namespace mms::tokenizer {
namespace {

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
// A byte that belongs to a word for single_word: ASCII alphanumerics, '_' and any non-ASCII byte.
bool is_word_byte(unsigned char c) {
  return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  std::erase_if(tokens_, [](const AddedToken& t) { return t.content.empty(); });
  std::stable_sort(tokens_.begin(), tokens_.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    by_first_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
}

void AddedTokenMatcher::split(std::string_view text, bool parse_special,
                              std::vector<Segment>* out) const {
  size_t text_start = 0;  // start of the pending text run
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto& cands = by_first_[static_cast<unsigned char>(text[i])];
    const AddedToken* hit = nullptr;
    for (uint32_t k : cands) {
      const AddedToken& t = tokens_[k];
      if (t.special && !parse_special) continue;
      if (text.compare(i, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        size_t end = i + t.content.size();
        if ((i > 0 && is_word_byte(text[i - 1])) || (end < n && is_word_byte(text[end]))) continue;
      }
      hit = &t;  // longest first
      break;
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    size_t start = i, end = i + hit->content.size();
    if (hit->lstrip) {
      while (start > text_start && is_space(static_cast<unsigned char>(text[start - 1]))) --start;
    }
    if (hit->rstrip) {
      while (end < n && is_space(static_cast<unsigned char>(text[end]))) ++end;
    }
    if (start > text_start) out->push_back({-1, text.substr(text_start, start - text_start)});
    out->push_back({hit->id, {}});
    i = text_start = end;
  }
  if (text_start < n) out->push_back({-1, text.substr(text_start)});
}

}  // namespace mms::tokenizer
