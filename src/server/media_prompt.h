// Media of a chat request: fetches, decodes and preprocesses each image and video part (on the preprocessing
// pool, through the model's ImagePipeline and video processor) and expands each item's single placeholder
// token in the prompt (<|image_pad|> or <|video_pad|>) to one token per embedding row, recording where each
// item sits (MmInputRef) for the engine. Pure function of its inputs apart from the fetch; thread-safe.
// Errors are ApiErrors naming the content part (messages[i].content[j].image_url / .video_url).
#pragma once

#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"
#include "server/served_model.h"

namespace mms::server {

struct PreparedMedia {
  std::vector<int32_t> token_ids;  // the prompt with every placeholder expanded
  std::vector<MmInputRef> inputs;  // in prompt order
  std::vector<std::shared_ptr<const media::MediaItem>> items;  // items[i] for inputs[i]
};

// `ids` holds exactly one media.image_token_id per image part and one media.video_token_id per video part
// of in.media_parts, each kind in part order. A video's sampling fields are the request's
// (in.video_overrides) with the part's own on top.
std::variant<PreparedMedia, ApiError> prepare_media(const GenerationInput& in, const ServedMedia& media,
                                                    std::span<const int32_t> ids);

}  // namespace mms::server
