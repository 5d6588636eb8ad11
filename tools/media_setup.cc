#include "tools/media_setup.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_pipeline.h"

namespace mms::tools {

namespace fs = std::filesystem;

namespace {

// The config.json of an HF directory or the file itself, when it has a vision_config.
std::optional<fs::path> vision_config_path(const std::string& model_path) {
  fs::path p(model_path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) p /= "config.json";
  if (p.extension() != ".json" || !fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p);
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("vision_config")) return std::nullopt;
  return p;
}

StatusOr<media::Qwen2VLImageOptions> image_options(const std::string& model_path, const VisionConfig& vc,
                                                   const MediaArgs& args) {
  media::Qwen2VLImageOptions o;
  std::error_code ec;
  fs::path dir = fs::is_directory(model_path, ec) ? fs::path(model_path) : fs::path(model_path).parent_path();
  const fs::path pre = dir / "preprocessor_config.json";
  if (vision_config_path(model_path) && fs::is_regular_file(pre, ec)) {
    MMS_ASSIGN_OR_RETURN(o, media::load_qwen2vl_preprocessor_config(pre.string()));
  } else {  // GGUF mmproj (or no preprocessor file): the tower's own sizes and normalization
    o.patch_size = vc.patch_size;
    o.merge_size = vc.spatial_merge_size;
    o.temporal_patch_size = vc.temporal_patch_size;
    for (int c = 0; c < 3; ++c) {
      o.image_mean[c] = vc.image_mean[c];
      o.image_std[c] = vc.image_std[c];
    }
  }
  if (o.patch_size != vc.patch_size || o.merge_size != vc.spatial_merge_size) {
    return invalid_argument("preprocessor_config.json's patch/merge sizes do not match the vision tower's");
  }
  if (args.min_pixels > 0) o.min_pixels = args.min_pixels;
  if (args.max_pixels > 0) o.max_pixels = args.max_pixels;
  if (o.min_pixels > o.max_pixels) return invalid_argument("--min-pixels must not exceed --max-pixels");
  return o;
}

media::VideoPipelineOptions video_options(const media::ImagePipelineOptions& images, const VideoArgs& v) {
  media::VideoPipelineOptions o;
  o.source = images.source;
  o.source.max_bytes = v.max_video_bytes;
  o.qwen2vl = images.qwen2vl;  // patch/merge/temporal sizes and normalization (the video processor's too)
  o.sampling.fps = v.video_fps;
  o.sampling.min_frames = v.video_min_frames;
  o.sampling.max_frames = v.video_max_frames;
  o.sampling.min_pixels = v.video_min_pixels;
  o.sampling.max_pixels = v.video_max_pixels;
  o.sampling.total_pixels = v.video_total_pixels;
  o.limits.max_bytes = v.max_video_bytes;
  o.limits.max_duration_s = v.max_video_duration_s;
  o.limits.max_source_pixels = v.max_video_source_pixels;
  o.limits.max_sampled_frames = v.max_video_frames;
  o.limits.max_decode_pixels = v.max_video_decode_pixels;
  o.limits.max_frames_in_flight = v.video_frames_in_flight;
  o.decode_workers = v.video_decode_workers;
  return o;
}

// Video parts need a <|video_pad|> token in the model's vocabulary; without it (or with
// --max-videos-per-request 0) video parts get a 400 and images work as before.
Status setup_video(const media::ImagePipelineOptions& images, const LoadedModel& loaded, const VideoArgs& v,
                   server::ServedMedia* served) {
  served->max_videos_per_request = v.max_videos_per_request;
  if (v.video_min_frames > v.video_max_frames) {
    return invalid_argument("--video-min-frames must not exceed --video-max-frames");
  }
  if (v.video_min_pixels > v.video_max_pixels) {
    return invalid_argument("--video-min-pixels must not exceed --video-max-pixels");
  }
  if (!loaded.config.video_token_id || v.max_videos_per_request == 0) {
    log_info("media: video input off ({})", v.max_videos_per_request == 0 ? "--max-videos-per-request 0"
                                                                           : "the model names no <|video_pad|> token");
    return ok_status();
  }
  served->video_token_id = *loaded.config.video_token_id;
  media::VideoPipelineOptions options = video_options(images, v);
  MMS_ASSIGN_OR_RETURN(media::VideoHwaccel hwaccel, media::parse_video_hwaccel(v.video_hwaccel));
  std::string no_device;
  auto device = media::open_hw_decode_device(hwaccel, &no_device);
  if (!device.ok()) return device.status().with_context("--video-hwaccel cuda");
  options.hw_device = *device;
  if (!no_device.empty()) log_info("media: --video-hwaccel auto: {}; videos decode on the CPU", no_device);
  auto pipeline = std::make_shared<const media::VideoPipeline>(std::move(options));
  served->videos = [pipeline](std::string_view url, const media::VideoOverrides& overrides) {
    return pipeline->process(url, overrides);
  };
  log_info("media: videos at {} fps, {}..{} frames, {}..{} pixels per frame, {} total, up to {} s, {} decoders on {}",
           v.video_fps, v.video_min_frames, v.video_max_frames, v.video_min_pixels, v.video_max_pixels,
           v.video_total_pixels, v.max_video_duration_s, v.video_decode_workers,
           *device ? "the CUDA device (NVDEC)" : "the CPU");
  return ok_status();
}

}  // namespace

StatusOr<std::optional<ReadyMedia>> load_media(const std::string& model_path, const LoadOptions& load,
                                               const LoadedModel& loaded, const MediaArgs& args) {
  std::string tower;
  if (!args.mmproj.empty()) {
    tower = args.mmproj;
  } else if (auto cfg = vision_config_path(model_path)) {
    tower = load.load_format == LoadFormat::kDummy ? cfg->string() : cfg->parent_path().string();
  } else {
    return std::optional<ReadyMedia>();
  }
  if (!loaded.config.image_token_id) {
    return invalid_argument("the model has a vision tower (" + tower + ") but its config names no image token");
  }
  ReadyMedia ready;
  MMS_ASSIGN_OR_RETURN(ready.encoder, load_vision_encoder(tower, load));
  const VisionConfig& vc = ready.encoder->config();
  if (vc.out_hidden_size != loaded.config.hidden_size) {
    return invalid_argument("the vision tower's output width " + std::to_string(vc.out_hidden_size) +
                            " does not match the language model's hidden size " +
                            std::to_string(loaded.config.hidden_size));
  }
  media::ImagePipelineOptions po;
  MMS_ASSIGN_OR_RETURN(po.qwen2vl, image_options(model_path, vc, args));
  po.source.max_bytes = args.max_image_bytes;
  po.source.allowed_local_dir = args.allowed_media_dir;
  po.source.allow_remote = args.allow_remote_media;
  po.source.allow_private_addresses = args.allow_private_media_addresses;
  po.source.allowed_remote_domains = args.allowed_media_domains;
  po.source.remote_timeout = std::chrono::milliseconds(static_cast<int64_t>(args.media_fetch_timeout_s * 1000));
  po.decode.max_encoded_bytes = args.max_image_bytes;
  po.decode.max_pixels = args.max_image_pixels;
  ready.served.images = std::make_shared<const media::ImagePipeline>(po);
  ready.served.image_token_id = *loaded.config.image_token_id;
  ready.served.max_images_per_request = args.max_images_per_request;
  MMS_RETURN_IF_ERROR(setup_video(po, loaded, args.video, &ready.served));
  log_info("media: vision tower {} ({} layers, width {}), images {}..{} pixels, local files {}, remote {}",
           vc.projector, vc.num_layers, vc.hidden_size, po.qwen2vl.min_pixels, po.qwen2vl.max_pixels,
           args.allowed_media_dir.empty() ? "off" : args.allowed_media_dir, args.allow_remote_media ? "on" : "off");
  return std::optional<ReadyMedia>(std::move(ready));
}

}  // namespace mms::tools
