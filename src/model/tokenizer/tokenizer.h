// Tokenizer: byte-level BPE as used by Qwen2/Qwen2.5 and Llama 3 (GPT-2 byte-to-unicode mapping, merge
// ranks, added/special tokens matched before pre-tokenization, the family's pre-tokenizer regex via
// PCRE2, NFC where the tokenizer asks for it). Loaded from tokenizer.json (+ tokenizer_config.json) or
// from GGUF metadata. Immutable after construction; encode/decode are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms {

namespace gguf {
class GgufFile;
}

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // From a Hugging Face tokenizer.json; tokenizer_config.json (may be empty) supplies bos/eos names and
  // add_bos_token.
  static StatusOr<std::unique_ptr<Tokenizer>> from_hf_json(std::string_view tokenizer_json,
                                                           std::string_view tokenizer_config_json,
                                                           const std::string& source);
  // From GGUF metadata (tokenizer.ggml.*).
  static StatusOr<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);

  // Text -> ids. With parse_special, special/added tokens written in the text ("<|im_start|>") become
  // their ids (as llama.cpp does for prompts); without, they are tokenized as plain text.
  // add_bos follows the tokenizer's own setting only when requested by the caller.
  virtual std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const = 0;
  // Ids -> text; bytes of an incomplete UTF-8 sequence at the end are replaced by U+FFFD.
  // skip_special drops control/special tokens from the output.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_special = false) const = 0;
  // The raw bytes one token stands for (byte-level decoded), e.g. "\xe4" for a partial character.
  virtual std::string token_bytes(int32_t id) const = 0;
  // The token's string as stored in the vocabulary ("Ġthe", "<|im_end|>").
  virtual std::string_view token_text(int32_t id) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token_text) const = 0;
  virtual bool is_special(int32_t id) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  virtual bool add_bos() const = 0;
};

// Incremental detokenizer for streaming: feed ids one at a time, get back the text that is complete
// (never splits a UTF-8 sequence; holds back incomplete trailing bytes until they complete). One per
// stream; not thread-safe.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool skip_special = false)
      : tokenizer_(tokenizer), skip_special_(skip_special) {}
  // Returns the newly completed text (possibly empty).
  std::string feed(int32_t id);
  // Returns whatever is held back, with incomplete sequences replaced by U+FFFD.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace mms
