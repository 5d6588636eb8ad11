// The small text files of a Hugging Face checkpoint directory besides config.json and the weights:
// tokenizer.json, tokenizer_config.json, generation_config.json and the chat template (from
// tokenizer_config.json's chat_template, else chat_template.jinja, else chat_template.json).
// Pure function of the directory's contents; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace mms {

struct HfCheckpointFiles {
  std::optional<std::string> tokenizer_json;          // contents, when the file exists
  std::optional<std::string> tokenizer_config_json;
  std::optional<std::string> generation_config_json;
  std::string chat_template;                          // empty when there is none
};

// Absent files are left empty; errors only for unreadable files or a malformed chat_template field.
StatusOr<HfCheckpointFiles> read_hf_checkpoint_files(const std::string& dir);

// The chat template in a tokenizer_config.json / chat_template.json text: a string, or a list of
// {"name", "template"} from which "default" (else the first) is taken. Empty when absent.
StatusOr<std::string> chat_template_from_json(std::string_view json_text, const std::string& path);

}  // namespace mms
