// BpeTokenizer: the Tokenizer implementation for byte-level BPE, assembled from a format-neutral
// BpeTokenizerSpec that the tokenizer.json and GGUF loaders fill in. Immutable after build; encode/decode
// are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/tokenizer/added_tokens.h"
#include "model/tokenizer/normalizer.h"
#include "model/tokenizer/tokenizer.h"

namespace mms::tokenizer {

// What a vocabulary entry is (GGUF token types; tokenizer.json added tokens map to kControl if special,
// else kUserDefined).
enum class TokenKind : uint8_t { kNormal, kUnknown, kControl, kUserDefined, kUnused, kByte };

struct BpeTokenizerSpec {
  std::string source;                        // file name, for error messages
  std::vector<std::string> token_texts;      // id -> text as stored ("Ġthe", "<|im_end|>"); "" = no token
  std::vector<TokenKind> token_kinds;        // id -> kind, same size
  std::vector<std::pair<std::string, std::string>> merges;  // stored (byte-level) texts, rank order
  // Tokens split out before pre-tokenization. Their ids must be < token_texts.size().
  std::vector<AddedToken> added_tokens;
  std::vector<std::string> split_patterns;  // pre-tokenizer regexes, applied in order
  Normalization normalization = Normalization::kNone;
  bool ignore_merges = false;
  bool add_prefix_space = false;  // ByteLevel add_prefix_space: " " before each text run not starting with one
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  bool add_bos = false;
};

// Validates the spec (ids in range, merges in the vocabulary, regexes compile) and builds the tokenizer.
// Errors are InvalidArgument prefixed with spec.source.
StatusOr<std::unique_ptr<Tokenizer>> build_bpe_tokenizer(BpeTokenizerSpec spec);

}  // namespace mms::tokenizer
