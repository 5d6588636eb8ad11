// Tokenizer::from_gguf: reads tokenizer.ggml.* metadata (as llama.cpp's converter writes it) into a
// BpeTokenizerSpec. Only the "gpt2" (byte-level BPE) tokenizer model is supported.
#include "model/gguf/gguf_file.h"
#include "model/tokenizer/bpe_tokenizer.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/tokenizer.h"

namespace mms {
namespace {

using tokenizer::BpeTokenizerSpec;
using tokenizer::TokenKind;

// llama.cpp's token types (llama_token_type).
TokenKind kind_of(int64_t type) {
  switch (type) {
    case 2: return TokenKind::kUnknown;
    case 3: return TokenKind::kControl;
    case 4: return TokenKind::kUserDefined;
    case 5: return TokenKind::kUnused;
    case 6: return TokenKind::kByte;
    default: return TokenKind::kNormal;
  }
}

// tokenizer.ggml.pre -> split pattern; sets *llama3 for the Llama 3 family.
StatusOr<std::string> pattern_for_pre(std::string_view pre, bool* llama3) {
  *llama3 = false;
  if (pre == "qwen2") return std::string(tokenizer::kQwen2Pattern);
  if (pre == "llama-bpe" || pre == "llama3") {
    *llama3 = true;
    return std::string(tokenizer::kLlama3Pattern);
  }
  if (pre.empty() || pre == "gpt2" || pre == "default") return std::string(tokenizer::kGpt2Pattern);
  return unimplemented("tokenizer.ggml.pre '" + std::string(pre) +
                       "' is not supported (known: qwen2, llama-bpe, llama3, gpt2, default)");
}

StatusOr<BpeTokenizerSpec> parse_spec(const gguf::GgufFile& file) {
  BpeTokenizerSpec spec;
  MMS_ASSIGN_OR_RETURN(std::string_view model, file.get_string("tokenizer.ggml.model"));
  if (model != "gpt2") {
    return unimplemented("tokenizer.ggml.model '" + std::string(model) +
                         "' is not supported (only gpt2, byte-level BPE)");
  }
  std::string_view pre;
  if (file.has("tokenizer.ggml.pre")) {
    MMS_ASSIGN_OR_RETURN(pre, file.get_string("tokenizer.ggml.pre"));
  }
  bool llama3 = false;
  MMS_ASSIGN_OR_RETURN(std::string pattern, pattern_for_pre(pre, &llama3));
  spec.split_patterns.push_back(std::move(pattern));
  spec.ignore_merges = llama3;  // llama.cpp sets ignore_merges for the Llama 3 pre-tokenizer

  MMS_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens, file.get_string_array("tokenizer.ggml.tokens"));
  if (tokens.empty()) return invalid_argument("tokenizer.ggml.tokens is empty");
  std::vector<int64_t> types;
  if (file.has("tokenizer.ggml.token_type")) {
    MMS_ASSIGN_OR_RETURN(types, file.get_int_array("tokenizer.ggml.token_type"));
    if (types.size() != tokens.size()) {
      return invalid_argument("tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                              " entries for " + std::to_string(tokens.size()) + " tokens");
    }
  }
  spec.token_texts.reserve(tokens.size());
  spec.token_kinds.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    TokenKind kind = types.empty() ? TokenKind::kNormal : kind_of(types[id]);
    spec.token_texts.emplace_back(tokens[id]);
    spec.token_kinds.push_back(kind);
    // llama.cpp matches control, user-defined and unknown tokens before pre-tokenization (control and
    // unknown only when parsing special tokens). The converter stored them pre-normalized.
    if (kind == TokenKind::kControl || kind == TokenKind::kUserDefined || kind == TokenKind::kUnknown) {
      tokenizer::AddedToken t;
      t.id = static_cast<int32_t>(id);
      t.content = std::string(tokens[id]);
      t.special = kind != TokenKind::kUserDefined;
      spec.added_tokens.push_back(std::move(t));
    }
  }

  MMS_ASSIGN_OR_RETURN(std::vector<std::string_view> merges, file.get_string_array("tokenizer.ggml.merges"));
  spec.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    std::string_view m = merges[i];
    size_t sp = m.find(' ', 1);
    if (sp == std::string_view::npos || sp + 1 >= m.size()) {
      return invalid_argument("tokenizer.ggml.merges[" + std::to_string(i) + "] '" + std::string(m) +
                              "' is not two tokens separated by a space");
    }
    spec.merges.emplace_back(std::string(m.substr(0, sp)), std::string(m.substr(sp + 1)));
  }

  auto optional_id = [&](const char* key) -> StatusOr<std::optional<int32_t>> {
    if (!file.has(key)) return std::optional<int32_t>();
    MMS_ASSIGN_OR_RETURN(int64_t id, file.get_int(key));
    if (id < 0 || static_cast<size_t>(id) >= tokens.size()) {
      return invalid_argument(std::string(key) + " " + std::to_string(id) + " is outside the vocabulary");
    }
    return std::optional<int32_t>(static_cast<int32_t>(id));
  };
  MMS_ASSIGN_OR_RETURN(spec.bos_id, optional_id("tokenizer.ggml.bos_token_id"));
  MMS_ASSIGN_OR_RETURN(spec.eos_id, optional_id("tokenizer.ggml.eos_token_id"));
  spec.add_bos = llama3;
  if (file.has("tokenizer.ggml.add_bos_token")) {
    MMS_ASSIGN_OR_RETURN(spec.add_bos, file.get_bool("tokenizer.ggml.add_bos_token"));
  }
  return spec;
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  StatusOr<BpeTokenizerSpec> spec = parse_spec(file);
  if (!spec.ok()) return spec.status().with_context(file.path());
  spec->source = file.path();
  return tokenizer::build_bpe_tokenizer(std::move(spec).value());
}

}  // namespace mms
