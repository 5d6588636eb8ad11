#include "server/media_prompt.h"

#include <string>

namespace mms::server {

std::variant<PreparedMedia, ApiError> prepare_media(const GenerationInput& in, const ServedMedia& media,
                                                    std::span<const int32_t> ids) {
  PreparedMedia out;
  for (const MediaPart& part : in.media_parts) {
    auto item = media.images->process(part.url, in.image_overrides);
    if (!item.ok()) {
      return invalid_request("image at '" + part.param + "': " + item.status().message(), part.param + ".image_url",
                             "invalid_image");
    }
    if (media.max_item_tokens > 0 && (*item)->num_tokens > media.max_item_tokens) {
      return invalid_request("image at '" + part.param + "' needs " + std::to_string((*item)->num_tokens) +
                                 " embedding rows, more than the encoder cache holds (" +
                                 std::to_string(media.max_item_tokens) +
                                 "); send a smaller image (or lower mm_processor_kwargs.max_pixels)",
                             part.param + ".image_url", "image_too_large");
    }
    out.items.push_back(std::move(*item));
  }
  size_t next = 0;
  for (int32_t id : ids) {
    if (id != media.image_token_id || next >= out.items.size()) {
      out.token_ids.push_back(id);
      continue;
    }
    const media::MediaItem& m = *out.items[next++];
    out.inputs.push_back(MmInputRef{m.hash, static_cast<int64_t>(out.token_ids.size()), m.num_tokens,
                                    m.grid_t * m.grid_h * m.grid_w});
    out.token_ids.insert(out.token_ids.end(), static_cast<size_t>(m.num_tokens), media.image_token_id);
  }
  if (next != out.items.size()) {
    return invalid_request("the prompt has fewer image placeholders than images", "messages");
  }
  return out;
}

}  // namespace mms::server
