// Start-up of the image and video path for `mmserve serve`: finds and loads the vision tower (--mmproj for a
// GGUF model, the checkpoint directory's vision_config for Hugging Face, the config for dummy weights), builds
// the image pipeline (preprocessor_config.json or the tower's defaults, fetch and decode limits), the video
// pipeline (sampling defaults and limits) and the server's view of them. Prints nothing; errors are Statuses
// naming the file or option.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/model_loader.h"
#include "model/vision/vision_encoder.h"
#include "server/served_model.h"
#include "tools/video_args.h"

namespace mms::tools {

struct MediaArgs {
  std::string mmproj;                      // --mmproj: the vision tower of a GGUF model (llama.cpp's flag)
  std::string encoder_mode = "async";      // --encoder-mode async|inline
  std::string encoder_cache_memory = "256MiB";
  double tpot_target_s = 0;                // --tpot-target seconds (0: 1.5x the measured step time)
  std::string allowed_media_dir;           // --allowed-media-dir: local files readable only under it
  bool allow_remote_media = false;         // --allow-remote-media: http(s) image URLs
  bool allow_private_media_addresses = false;  // --allow-private-media-addresses
  std::vector<std::string> allowed_media_domains;
  double media_fetch_timeout_s = 10;
  int64_t max_images_per_request = 16;     // --max-images-per-request
  int64_t max_image_bytes = int64_t{20} << 20;   // encoded bytes per image
  int64_t max_image_pixels = int64_t{64} << 20;  // decoded width x height per image (decompression bombs)
  int64_t min_pixels = 0;                  // override preprocessor_config.json's (0: keep)
  int64_t max_pixels = 0;
  VideoArgs video;
};

struct ReadyMedia {
  std::unique_ptr<VisionEncoder> encoder;
  server::ServedMedia served;
};

// nullopt when the model has no vision tower (text only). `model_path` and `load_format` as given to
// load_model(); `loaded` is the decoder (its config names the image token).
StatusOr<std::optional<ReadyMedia>> load_media(const std::string& model_path, const LoadOptions& load,
                                               const LoadedModel& loaded, const MediaArgs& args);

}  // namespace mms::tools
