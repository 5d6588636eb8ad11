// `mmserve serve`: load a model, start the engine (engine/engine_options.h's create_async_engine) and the
// OpenAI-compatible HTTP server; SIGTERM/SIGINT drain in-flight requests and exit 0.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "common/compute_pool.h"
#include "common/log.h"
#include "engine/engine_options.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "server/http_server.h"
#include "server/served_model.h"
#include "tools/commands.h"
#include "tools/media_setup.h"
#include "tools/model_setup.h"


namespace mms::tools {

void add_serve_options(CLI::App& app, ServeArgs& a) {
  app.add_option("--model,-m", a.model,
                 "GGUF file or Hugging Face checkpoint directory (or config for dummy); default: the bundled "
                 "tiny Qwen2.5-VL shapes model (models/tiny-qwen25vl-shapes)");
  app.add_option("--host", a.host, "Address to listen on");
  app.add_option("--port", a.port, "Port to listen on (0: an ephemeral port, printed at start-up)");
  app.add_option("--load-format", a.load_format, "auto | dummy (real architecture, random weights)")
      ->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--served-model-name", a.served_model_name, "Model name in the API (default: the file/dir name)");
  app.add_option("--max-num-seqs", a.max_num_seqs, "Most requests running at once")->check(CLI::PositiveNumber);
  app.add_option("--max-num-batched-tokens", a.max_num_batched_tokens, "Token budget of one engine step")
      ->check(CLI::PositiveNumber);
  app.add_option("--kv-cache-memory", a.kv_cache_memory, "KV cache budget: bytes (512MiB, 4GB) or a fraction of RAM (0.1)");
  app.add_option("--kv-cache-dtype", a.kv_cache_dtype,
                 "KV cache element type: auto (f16 for f16/bf16 models, else f32) | f32 | f16")
      ->check(CLI::IsMember({"auto", "f32", "f16"}));
  app.add_option("--max-model-len", a.max_model_len, "Prompt + output tokens per request (0: the model's)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--block-size", a.block_size, "Tokens per KV block")->check(CLI::PositiveNumber);
  app.add_option("--scheduling-policy", a.scheduling_policy, "fcfs | priority")
      ->check(CLI::IsMember({"fcfs", "priority"}));
  app.add_option("--max-body-bytes", a.max_body_bytes, "Largest request body accepted (413 above)")
      ->check(CLI::PositiveNumber);
  app.add_option("--drain-timeout", a.drain_timeout_s, "Seconds in-flight requests may take after SIGTERM")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--preprocess-threads", a.preprocess_threads, "Threads for chat templates and tokenization")
      ->check(CLI::PositiveNumber);
  app.add_option("--io-threads", a.io_threads, "HTTP event-loop threads")->check(CLI::Range(1, 8));
  app.add_option("--threads,-t", a.threads, "Compute threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  // Images.
  app.add_option("--mmproj", a.mmproj, "Vision tower of a GGUF model (llama.cpp's mmproj file)");
  app.add_option("--encoder-mode", a.encoder_mode,
                 "async: encode images in metered slices between decode steps; inline: inside the step that "
                 "needs them (today's engines)")
      ->check(CLI::IsMember({"async", "inline"}));
  app.add_option("--encoder-cache-memory", a.encoder_cache_memory,
                 "Encoder-output cache budget: bytes (256MiB) or a fraction of RAM");
  app.add_option("--tpot-target", a.tpot_target_s,
                 "Seconds per output token that prefill chunks and encoder work keep running streams within "
                 "(0: 1.5x the measured decode step)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prefill-chunking", a.prefill_chunking,
                 "tpot: size prefill chunks so running streams keep the TPOT target; tokens: only "
                 "--max-num-batched-tokens bounds them (vLLM's behaviour); auto: tpot when --tpot-target is given")
      ->check(CLI::IsMember({"auto", "tpot", "tokens"}));
  app.add_option("--allowed-media-dir", a.allowed_media_dir, "Local image files are readable only under this directory");
  app.add_flag("--allow-remote-media", a.allow_remote_media, "Fetch http(s) image URLs");
  app.add_flag("--allow-private-media-addresses", a.allow_private_media_addresses,
               "Let remote media URLs reach loopback, private and link-local addresses (refused by default)");
  app.add_option("--allowed-media-domains", a.allowed_media_domains, "Hosts remote images may come from (default: any)");
  app.add_option("--media-fetch-timeout", a.media_fetch_timeout_s, "Seconds one remote image fetch may take")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-images-per-request", a.max_images_per_request, "Images one request may carry")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-image-bytes", a.max_image_bytes, "Encoded bytes per image")->check(CLI::PositiveNumber);
  app.add_option("--max-image-pixels", a.max_image_pixels,
                 "Decoded width x height per image (checked from the header, before decoding)")
      ->check(CLI::PositiveNumber);
  app.add_option("--min-pixels", a.min_pixels, "Override the preprocessor's min_pixels")->check(CLI::NonNegativeNumber);
  app.add_option("--max-pixels", a.max_pixels, "Override the preprocessor's max_pixels")->check(CLI::NonNegativeNumber);
  // Videos (requests may override the sampling options per part or in mm_processor_kwargs).
  VideoArgs& v = a.video;
  app.add_option("--max-videos-per-request", v.max_videos_per_request, "Videos one request may carry (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-video-bytes", v.max_video_bytes, "Encoded bytes per video")->check(CLI::PositiveNumber);
  app.add_option("--max-video-duration", v.max_video_duration_s, "Seconds of video one part may last")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-video-frames", v.max_video_frames, "Sampled frames per video at most")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-video-source-pixels", v.max_video_source_pixels,
                 "Decoded width x height of a video's frames before resizing")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-video-decode-pixels", v.max_video_decode_pixels,
                 "Decoding work per video: frames through the decoder x their pixels")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-frames-in-flight", v.video_frames_in_flight,
                 "Decoded frames held at once while one video is decoded (memory bound)")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-decode-workers", v.video_decode_workers,
                 "Decoders one video is split across at keyframes")
      ->check(CLI::Range(1, 64));
  app.add_option("--video-hwaccel", v.video_hwaccel,
                 "Video decoding on the GPU (NVDEC): none, auto (when a CUDA device opens) or cuda (required)")
      ->check(CLI::IsMember({"none", "auto", "cuda"}));
  app.add_option("--video-fps", v.video_fps, "Frames sampled per second of video (default 2, as Qwen2.5-VL)")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-min-frames", v.video_min_frames, "Sampled frames per video at least")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-max-frames", v.video_max_frames, "Sampled frames per video at most (before the limit)")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-min-pixels", v.video_min_pixels, "Pixels per resized video frame at least")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-max-pixels", v.video_max_pixels, "Pixels per resized video frame at most")
      ->check(CLI::PositiveNumber);
  app.add_option("--video-total-pixels", v.video_total_pixels, "Pixel budget spread over a video's frames")
      ->check(CLI::PositiveNumber);
}

namespace {

MediaArgs media_args(const ServeArgs& a) {
  MediaArgs m;
  m.mmproj = a.mmproj;
  m.encoder_mode = a.encoder_mode;
  m.encoder_cache_memory = a.encoder_cache_memory;
  m.tpot_target_s = a.tpot_target_s;
  m.allowed_media_dir = a.allowed_media_dir;
  m.allow_remote_media = a.allow_remote_media;
  m.allow_private_media_addresses = a.allow_private_media_addresses;
  m.allowed_media_domains = a.allowed_media_domains;
  m.media_fetch_timeout_s = a.media_fetch_timeout_s;
  m.max_images_per_request = a.max_images_per_request;
  m.max_image_bytes = a.max_image_bytes;
  m.max_image_pixels = a.max_image_pixels;
  m.min_pixels = a.min_pixels;
  m.max_pixels = a.max_pixels;
  m.video = a.video;
  return m;
}

}  // namespace

int run_serve(const ServeArgs& args) {
  ServeArgs a = args;
  if (a.model.empty()) {
    a.model = bundled_model_path();
    if (a.model.empty()) {
      std::fprintf(stderr, "error: no --model given and the bundled model is not in any of: %s\n",
                   bundled_model_search_paths().c_str());
      return 1;
    }
    log_info("mmserve: no --model given; serving the bundled model {}", a.model);
  }
  auto ready = load_ready_model(a.model, a.load_format, a.threads);
  if (!ready) return 1;
  LoadedModel* loaded = &ready->files;
  auto* lm = &ready->lm;
  EngineOptions eo;
  eo.max_num_seqs = a.max_num_seqs;
  eo.max_num_batched_tokens = a.max_num_batched_tokens;
  eo.kv_cache_memory = a.kv_cache_memory;
  eo.kv_cache_dtype = a.kv_cache_dtype;
  eo.max_model_len = a.max_model_len;
  eo.block_size = a.block_size;
  eo.tpot_target_s = a.tpot_target_s;
  eo.meter_prefill = a.prefill_chunking == "tpot" || (a.prefill_chunking == "auto" && a.tpot_target_s > 0);
  auto policy = parse_queue_policy(a.scheduling_policy);
  if (!policy.ok()) {
    std::fprintf(stderr, "error: %s\n", policy.status().to_string().c_str());
    return 1;
  }
  eo.queue_policy = *policy;
  LoadOptions lo;
  lo.load_format = a.load_format == "dummy" ? LoadFormat::kDummy : LoadFormat::kAuto;
  auto media = load_media(a.model, lo, *loaded, media_args(a));
  if (!media.ok()) {
    std::fprintf(stderr, "error: %s\n", media.status().to_string().c_str());
    return 1;
  }
  if (*media) {
    eo.vision = (*media)->encoder.get();
    eo.encoder_cache_memory = a.encoder_cache_memory;
    parse_encoder_mode(a.encoder_mode.c_str(), &eo.encoder_mode);
  } else if (!a.mmproj.empty()) {
    std::fprintf(stderr, "error: --mmproj given but no vision tower loaded\n");
    return 1;
  }
  auto engine = create_async_engine(eo, **lm);
  if (!engine.ok()) {
    std::fprintf(stderr, "error: %s\n", engine.status().to_string().c_str());
    return 1;
  }
  int64_t max_len = (*engine)->max_model_len() > 0 ? (*engine)->max_model_len() : a.max_model_len;
  auto served = server::make_served_model(*loaded, a.served_model_name, max_len);
  if (!served.ok()) {
    std::fprintf(stderr, "error: %s\n", served.status().to_string().c_str());
    (*engine)->shutdown(0);
    return 1;
  }
  if (*media) {
    served->media = (*media)->served;
    served->media->max_item_tokens = (*engine)->max_media_item_tokens();
  }
  server::ServerOptions so;
  so.host = a.host;
  so.port = a.port;
  so.max_body_bytes = static_cast<size_t>(a.max_body_bytes);
  so.io_threads = a.io_threads;
  so.preprocess_threads = a.preprocess_threads;
  so.drain_timeout_s = a.drain_timeout_s;
  so.handle_signals = true;
  server::HttpServer http(so, *served, **engine);
  Status st = http.start();
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.to_string().c_str());
    (*engine)->shutdown(0);
    return 1;
  }
  std::printf("mmserve: serving '%s' (context %lld tokens) on http://%s:%u\n", served->name.c_str(),
              static_cast<long long>(served->max_model_len), a.host.c_str(), static_cast<unsigned>(http.port()));
  std::printf("listening on port %u\n", static_cast<unsigned>(http.port()));
  std::printf("try: curl http://%s:%u/v1/chat/completions -H 'Content-Type: application/json' "
              "-d '{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}], "
              "\"max_tokens\": 32}'\n",
              a.host.c_str(), static_cast<unsigned>(http.port()), served->name.c_str());
  std::fflush(stdout);
  http.wait();
  log_info("mmserve: stopped");
  return 0;
}

}  // namespace mms::tools
