#include "model/tokenizer/bpe_tokenizer.h"

#include <array>

#include "model/tokenizer/bpe_model.h"
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/string_id_table.h"

namespace mms::tokenizer {
namespace {

class BpeTokenizer final : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text, bool parse_special) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_special) const override;
  std::string token_bytes(int32_t id) const override {
    return in_range(id) ? token_bytes_[id] : std::string();
  }
  std::string_view token_text(int32_t id) const override {
    return in_range(id) ? std::string_view(texts_[id]) : std::string_view();
  }
  std::optional<int32_t> token_to_id(std::string_view text) const override {
    return text_to_id_.find(text);
  }
  bool is_special(int32_t id) const override {
    if (!in_range(id)) return false;
    TokenKind k = kinds_[id];
    return k == TokenKind::kControl || k == TokenKind::kUnknown || k == TokenKind::kUnused;
  }
  int64_t vocab_size() const override { return static_cast<int64_t>(texts_.size()); }
  std::optional<int32_t> bos_id() const override { return bos_id_; }
  std::optional<int32_t> eos_id() const override { return eos_id_; }
  bool add_bos() const override { return add_bos_; }

 private:
  friend StatusOr<std::unique_ptr<Tokenizer>> mms::tokenizer::build_bpe_tokenizer(BpeTokenizerSpec spec);
  BpeTokenizer() = default;

  bool in_range(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < texts_.size(); }
  // Normalizes, splits out normalized added tokens, pre-tokenizes and merges one run of plain text.
  void encode_text(std::string_view text, bool parse_special, std::vector<int32_t>* ids) const;
  void encode_run(std::string_view text, std::vector<int32_t>* ids) const;

  std::vector<std::string> texts_;
  std::vector<std::string> token_bytes_;
  std::vector<TokenKind> kinds_;
  StringIdTable text_to_id_;
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<PreTokenizer> pre_;
  std::unique_ptr<AddedTokenMatcher> raw_added_;         // matched on the raw text
  std::unique_ptr<AddedTokenMatcher> normalized_added_;  // matched after normalization
  Normalization normalization_ = Normalization::kNone;
  bool add_prefix_space_ = false;
  std::optional<int32_t> bos_id_, eos_id_;
  bool add_bos_ = false;
};

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (raw_added_->empty()) {
    encode_text(text, parse_special, &ids);
    return ids;
  }
  std::vector<AddedTokenMatcher::Segment> segments;
  raw_added_->split(text, parse_special, &segments);
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
    } else {
      encode_text(seg.text, parse_special, &ids);
    }
  }
  return ids;
}

void BpeTokenizer::encode_text(std::string_view text, bool parse_special,
                               std::vector<int32_t>* ids) const {
  std::string normalized;
  if (normalization_ != Normalization::kNone) {
    normalize(normalization_, text, &normalized);
    text = normalized;
  }
  if (normalized_added_->empty()) {
    encode_run(text, ids);
    return;
  }
  std::vector<AddedTokenMatcher::Segment> segments;
  normalized_added_->split(text, parse_special, &segments);
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids->push_back(seg.id);
    } else {
      encode_run(seg.text, ids);
    }
  }
}

void BpeTokenizer::encode_run(std::string_view text, std::vector<int32_t>* ids) const {
  std::string prefixed;
  if (add_prefix_space_ && !text.empty() && text[0] != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    text = prefixed;
  }
  pre_->split(text, [&](std::string_view piece) { bpe_->encode_word(piece, ids); });
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (!in_range(id) || (skip_special && is_special(id))) continue;
    bytes += token_bytes_[id];
  }
  std::string out;
  append_valid_utf8(bytes, /*final=*/true, &out);
  return out;
}

bool is_added_kind(TokenKind k) {
  return k == TokenKind::kControl || k == TokenKind::kUserDefined || k == TokenKind::kUnknown ||
         k == TokenKind::kUnused;
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> build_bpe_tokenizer(BpeTokenizerSpec spec) {
  auto fail = [&](const std::string& m) { return invalid_argument(spec.source + ": " + m); };
  const size_t n = spec.token_texts.size();
  if (n == 0) return fail("the vocabulary is empty");
  if (spec.token_kinds.size() != n) return fail("token kinds and texts differ in length");
  auto check_id = [&](std::optional<int32_t> id, const char* what) -> Status {
    if (id && (*id < 0 || static_cast<size_t>(*id) >= n)) {
      return fail(std::string(what) + " id " + std::to_string(*id) + " is outside the vocabulary (" +
                  std::to_string(n) + " tokens)");
    }
    return ok_status();
  };
  MMS_RETURN_IF_ERROR(check_id(spec.bos_id, "bos"));
  MMS_RETURN_IF_ERROR(check_id(spec.eos_id, "eos"));
  for (const AddedToken& t : spec.added_tokens) {
    MMS_RETURN_IF_ERROR(check_id(t.id, "added token"));
  }

  std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer());
  tok->kinds_ = std::move(spec.token_kinds);
  tok->texts_ = std::move(spec.token_texts);
  tok->token_bytes_.resize(n);
  tok->text_to_id_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = tok->texts_[id];
    if (text.empty()) continue;
    tok->text_to_id_.insert(text, static_cast<int32_t>(id));
    if (is_added_kind(tok->kinds_[id])) {
      tok->token_bytes_[id] = text;
    } else {
      byte_level_to_bytes(text, &tok->token_bytes_[id]);
    }
  }
  // The BPE model works on ids of ordinary tokens, looked up by their stored (byte-level) text.
  auto ordinary_id = [&](std::string_view text) -> std::optional<int32_t> {
    std::optional<int32_t> id = tok->text_to_id_.find(text);
    if (id && is_added_kind(tok->kinds_[*id])) return std::nullopt;
    return id;
  };
  std::array<int32_t, 256> byte_ids;
  for (int b = 0; b < 256; ++b) byte_ids[b] = ordinary_id(byte_to_unicode(static_cast<uint8_t>(b))).value_or(-1);
  std::vector<BpeModel::Merge> merges;
  merges.reserve(spec.merges.size());
  std::string joined;
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    const auto& [a, b] = spec.merges[r];
    joined.assign(a).append(b);
    std::optional<int32_t> ia = ordinary_id(a), ib = ordinary_id(b), ij = ordinary_id(joined);
    if (!ia || !ib || !ij) {
      const char* what = !ia ? "its left part" : !ib ? "its right part" : "its result";
      return fail("merge " + std::to_string(r) + " '" + a + " " + b + "': " + what +
                  " is not in the vocabulary");
    }
    merges.push_back({*ia, *ib, *ij});
  }
  StringIdTable whole_words;
  if (spec.ignore_merges) {
    whole_words.reserve(n);
    for (size_t id = 0; id < n; ++id) {
      if (!tok->texts_[id].empty() && !is_added_kind(tok->kinds_[id])) {
        whole_words.insert(tok->token_bytes_[id], static_cast<int32_t>(id));
      }
    }
  }
  tok->bpe_ = std::make_unique<BpeModel>(byte_ids, merges, std::move(whole_words), BpeModel::Options{});

  auto pre = PreTokenizer::create(spec.split_patterns);
  if (!pre.ok()) return pre.status().with_context(spec.source);
  tok->pre_ = std::move(pre).value();

  std::vector<AddedToken> raw, normalized;
  for (AddedToken& t : spec.added_tokens) {
    // An added token's bytes are its content, whatever the vocabulary stored for the id.
    tok->token_bytes_[t.id] = t.content;
    if (t.normalized && spec.normalization != Normalization::kNone) {
      std::string content;
      normalize(spec.normalization, t.content, &content);
      t.content = std::move(content);
      normalized.push_back(std::move(t));
    } else {
      raw.push_back(std::move(t));
    }
  }
  tok->raw_added_ = std::make_unique<AddedTokenMatcher>(std::move(raw));
  tok->normalized_added_ = std::make_unique<AddedTokenMatcher>(std::move(normalized));
  tok->normalization_ = spec.normalization;
  tok->add_prefix_space_ = spec.add_prefix_space;
  tok->bos_id_ = spec.bos_id;
  tok->eos_id_ = spec.eos_id;
  tok->add_bos_ = spec.add_bos;
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

}  // namespace mms::tokenizer
