#include "media/image_pipeline.h"

namespace mms::media {

StatusOr<std::shared_ptr<const MediaItem>> ImagePipeline::process_bytes(std::span<const uint8_t> bytes,
                                                                        const Qwen2VLOverrides& overrides) const {
  auto image = decode_image(bytes, options_.decode);
  if (!image.ok()) return image.status().with_context("image decode");
  auto item = qwen2vl_preprocess_image(*image, options_.qwen2vl, overrides);
  if (!item.ok()) return item.status().with_context("image preprocessing");
  return std::shared_ptr<const MediaItem>(std::make_shared<MediaItem>(std::move(*item)));
}

StatusOr<std::shared_ptr<const MediaItem>> ImagePipeline::process(std::string_view url,
                                                                  const Qwen2VLOverrides& overrides) const {
  auto bytes = fetch_media(url, options_.source);
  if (!bytes.ok()) return bytes.status().with_context("image fetch");
  const std::string& type = bytes->media_type;
  // A declared type is only a hint (the bytes are sniffed), but a declared non-image is a user error.
  if (!type.empty() && type.rfind("image/", 0) != 0 && type != "application/octet-stream" &&
      type != "binary/octet-stream") {
    return invalid_argument("image fetch: expected an image, got media type '" + type + "'");
  }
  return process_bytes(bytes->data, overrides);
}

}  // namespace mms::media
