// Media of a chat request: fetches, decodes and preprocesses each image part (on the preprocessing pool,
// through the model's ImagePipeline) and expands each image's single placeholder token in the prompt to
// one token per embedding row, recording where each item sits (MmInputRef) for the engine. Pure function
// of its inputs apart from the fetch; thread-safe. Errors are ApiErrors naming the content part.
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
  std::vector<int32_t> token_ids;  // the prompt with every image placeholder expanded
  std::vector<MmInputRef> inputs;
  std::vector<std::shared_ptr<const media::MediaItem>> items;
};

// `ids` holds exactly one media.image_token_id per part of in.media_parts, in order.
std::variant<PreparedMedia, ApiError> prepare_media(const GenerationInput& in, const ServedMedia& media,
                                                    std::span<const int32_t> ids);

}  // namespace mms::server
