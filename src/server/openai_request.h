// Parsing, validation and preprocessing of OpenAI generation requests (/v1/chat/completions,
// /v1/completions) into an EngineRequest. parse_* are cheap-ish (JSON); prepare() renders the chat
// template and tokenizes, so the server runs it on the preprocessing pool. Pure functions of their
// inputs; thread-safe. Every failure is an ApiError naming the bad field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/async_engine.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_pipeline.h"
#include "server/api_error.h"
#include "server/served_model.h"

namespace mms::server {

enum class RequestKind { kChat, kCompletion };

// An image or video content part, in message order.
struct MediaPart {
  media::MediaKind kind = media::MediaKind::kImage;
  std::string url;    // image_url.url / video_url.url: data:, file:, a path, http(s):
  std::string param;  // "messages[i].content[j]", for errors
  media::VideoOverrides video;  // video: the part's own sampling fields (over the request's)
  // "messages[i].content[j].image_url" or ".video_url": the field errors about the item name.
  std::string field() const { return param + (kind == media::MediaKind::kVideo ? ".video_url" : ".image_url"); }
};

struct GenerationInput {
  RequestKind kind = RequestKind::kChat;
  std::string model;
  // Chat: the validated messages as a JSON array (key order kept), and template switches.
  std::string messages_json;
  bool has_list_content = false;
  std::vector<MediaPart> media_parts;
  media::Qwen2VLOverrides image_overrides;  // mm_processor_kwargs.min_pixels / max_pixels
  // mm_processor_kwargs for videos: fps, min_frames, max_frames, total_pixels, and min_pixels / max_pixels
  // (per frame, as the HF processor applies them to both); a part's own fields take precedence.
  media::VideoOverrides video_overrides;
  bool add_generation_prompt = true;
  std::string chat_template_kwargs_json;  // object or empty
  // Completion: text or token ids.
  std::optional<std::string> prompt_text;
  std::vector<int32_t> prompt_ids;
  bool add_special_tokens = true;          // completions: true; chat: false (the template has them)

  std::optional<int64_t> max_tokens;
  SamplingParams sampling;
  bool temperature_set = false, top_p_set = false, top_k_set = false, repetition_penalty_set = false;
  bool seed_set = false;
  int64_t min_tokens = 0;
  bool ignore_eos = false;
  std::vector<int32_t> stop_token_ids;
  std::vector<std::string> stop;
  bool include_stop_str_in_output = false;
  bool skip_special_tokens = true;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
  int32_t priority = 0;
};

// Parses and validates a request body. Unknown fields are rejected (OpenAI's behaviour) except the
// extensions vLLM accepts; unsupported features (n > 1, tools, audio, ...) are rejected clearly.
std::variant<GenerationInput, ApiError> parse_generation_request(std::string_view body, RequestKind kind);

// The prompt's token ids: chat template (falling back to flattened content, media parts as
// <|vision_start|><|image_pad|><|vision_end|> / <|vision_start|><|video_pad|><|vision_end|>, for templates
// that only take string content) and tokenization, or the given ids. Checks the ids against the vocabulary.
// With media, each image is one image-pad token and each video one video-pad token here (prepare_request
// expands them).
std::variant<std::vector<int32_t>, ApiError> tokenize_prompt(const GenerationInput& in, const ServedModel& model);

struct PreparedRequest {
  EngineRequest engine;          // req_id left for the caller
  int64_t num_prompt_tokens = 0;
};

// Chat template + tokenization + media (fetch, decode, preprocess each image and video; expand its
// placeholder to one token per embedding row) + length checks against the model (prompt longer than the context,
// max_tokens over what is left, ids outside the vocabulary, unknown model name, media limits).
std::variant<PreparedRequest, ApiError> prepare_request(const GenerationInput& in, const ServedModel& model);

}  // namespace mms::server
