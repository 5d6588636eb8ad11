#include "server/media_prompt.h"

#include <deque>
#include <string>

namespace mms::server {
namespace {

// A video part's own sampling fields over the request's.
media::VideoOverrides merged_overrides(const media::VideoOverrides& request, const media::VideoOverrides& part) {
  media::VideoOverrides o = request;
  if (part.fps) o.fps = part.fps;
  if (part.min_frames) o.min_frames = part.min_frames;
  if (part.max_frames) o.max_frames = part.max_frames;
  if (part.min_pixels) o.min_pixels = part.min_pixels;
  if (part.max_pixels) o.max_pixels = part.max_pixels;
  if (part.total_pixels) o.total_pixels = part.total_pixels;
  return o;
}

}  // namespace

std::variant<PreparedMedia, ApiError> prepare_media(const GenerationInput& in, const ServedMedia& media,
                                                    std::span<const int32_t> ids) {
  using media::MediaKind;
  // Processed items per kind, in part order (the template keeps each kind's order).
  std::deque<std::shared_ptr<const media::MediaItem>> images, videos;
  for (const MediaPart& part : in.media_parts) {
    const bool video = part.kind == MediaKind::kVideo;
    const char* what = video ? "video" : "image";
    StatusOr<std::shared_ptr<const media::MediaItem>> item =
        video ? (media.videos ? media.videos(part.url, merged_overrides(in.video_overrides, part.video))
                              : StatusOr<std::shared_ptr<const media::MediaItem>>(
                                    invalid_argument("this model does not accept videos")))
              : media.images->process(part.url, in.image_overrides);
    if (!item.ok()) {
      return invalid_request(std::string(what) + " at '" + part.param + "': " + item.status().message(), part.field(),
                             video ? "invalid_video" : "invalid_image");
    }
    if (media.max_item_tokens > 0 && (*item)->num_tokens > media.max_item_tokens) {
      const std::string hint = video ? "send a shorter or smaller video (or lower fps, max_frames or max_pixels)"
                                     : "send a smaller image (or lower mm_processor_kwargs.max_pixels)";
      return invalid_request(std::string(what) + " at '" + part.param + "' needs " +
                                 std::to_string((*item)->num_tokens) +
                                 " embedding rows, more than the encoder cache holds (" +
                                 std::to_string(media.max_item_tokens) + "); " + hint,
                             part.field(), video ? "video_too_large" : "image_too_large");
    }
    (video ? videos : images).push_back(std::move(*item));
  }
  PreparedMedia out;
  for (int32_t id : ids) {
    const bool is_image = id == media.image_token_id && !images.empty();
    const bool is_video = !is_image && media.videos && id == media.video_token_id && !videos.empty();
    if (!is_image && !is_video) {
      out.token_ids.push_back(id);
      continue;
    }
    auto& queue = is_image ? images : videos;
    std::shared_ptr<const media::MediaItem> m = std::move(queue.front());
    queue.pop_front();
    out.inputs.push_back(MmInputRef{m->hash, static_cast<int64_t>(out.token_ids.size()), m->num_tokens,
                                    m->grid_t * m->grid_h * m->grid_w});
    out.token_ids.insert(out.token_ids.end(), static_cast<size_t>(m->num_tokens), id);
    out.items.push_back(std::move(m));
  }
  if (!images.empty() || !videos.empty()) {
    return invalid_request("the prompt has fewer image or video placeholders than images or videos", "messages");
  }
  return out;
}

}  // namespace mms::server
