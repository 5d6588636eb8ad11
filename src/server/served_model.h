// ServedModel: what the HTTP layer knows about the model it serves (name, tokenizer, chat template,
// EOS ids, context length, generation defaults). Built once at start-up, immutable afterwards, shared
// read-only by the io and preprocessing threads. The tokenizer is borrowed (owned by the caller).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "media/image_pipeline.h"
#include "model/chat_template/chat_template.h"
#include "model/model_loader.h"
#include "model/tokenizer/tokenizer.h"

namespace mms::server {

// Image input of a multimodal model.
struct ServedMedia {
  std::shared_ptr<const media::ImagePipeline> images;  // fetch + decode + preprocess (thread-safe)
  int32_t image_token_id = 0;                           // <|image_pad|>: one per embedding row
  std::string image_marker = "<|vision_start|><|image_pad|><|vision_end|>";  // for string-only templates
  int64_t max_images_per_request = 16;
  int64_t max_item_tokens = 0;  // embedding rows one image may have (the engine's encoder cache); 0: no limit
};

struct ServedModel {
  std::string name;
  const Tokenizer* tokenizer = nullptr;          // null: token-id prompts only
  std::optional<ChatTemplate> chat_template;     // null: chat requests are rejected
  std::optional<std::string> bos_token;          // strings the template sees
  std::optional<std::string> eos_token;
  std::vector<int32_t> eos_token_ids;            // the first is the engine's EOS, the rest stop ids
  int64_t max_model_len = 0;                     // prompt + output tokens
  int64_t vocab_size = 0;
  int64_t created = 0;                           // unix seconds, for /v1/models
  // Generation-config defaults applied when a request leaves the field out (as vLLM does).
  std::optional<double> default_temperature;
  std::optional<double> default_top_p;
  std::optional<int64_t> default_top_k;
  std::optional<double> default_repetition_penalty;
  std::optional<ServedMedia> media;              // null: image parts are rejected
};

// From a loaded model; max_model_len 0 means the model's max_position_embeddings. InvalidArgument when the
// chat template does not compile (the message names it).
StatusOr<ServedModel> make_served_model(const LoadedModel& loaded, std::string name, int64_t max_model_len);

}  // namespace mms::server
