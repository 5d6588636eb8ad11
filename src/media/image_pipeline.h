// The one call the server's preprocessing pool makes per image: fetch (data:/file/http) -> decode ->
// Qwen2-VL preprocess -> shared immutable MediaItem. An ImagePipeline holds only options; process() is
// const and thread-safe, so one instance serves every pool thread.
#pragma once

#include <memory>
#include <string_view>

#include "media/image_decoder.h"
#include "media/media_item.h"
#include "media/media_source.h"
#include "media/qwen2vl_preprocess.h"

namespace mms::media {

struct ImagePipelineOptions {
  MediaSourceOptions source;
  ImageDecodeOptions decode;
  Qwen2VLImageOptions qwen2vl;  // usually load_qwen2vl_preprocessor_config(<model>/preprocessor_config.json)
};

class ImagePipeline {
 public:
  explicit ImagePipeline(ImagePipelineOptions options) : options_(std::move(options)) {}

  // `url` is an OpenAI image_url.url: data:image/...;base64,..., file://..., a path, or http(s)://.
  // Errors are those of fetch_media, decode_image and qwen2vl_preprocess_image, with a prefix saying
  // which stage failed; an InvalidArgument also when a data URL / response declares a non-image type.
  StatusOr<std::shared_ptr<const MediaItem>> process(std::string_view url,
                                                     const Qwen2VLOverrides& overrides = {}) const;

  // Decoded bytes already in hand (e.g. from a multipart upload).
  StatusOr<std::shared_ptr<const MediaItem>> process_bytes(std::span<const uint8_t> bytes,
                                                           const Qwen2VLOverrides& overrides = {}) const;

  const ImagePipelineOptions& options() const { return options_; }

 private:
  ImagePipelineOptions options_;
};

}  // namespace mms::media
