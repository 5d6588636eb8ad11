// Subcommands of the mmserve binary. Each registers its options on a CLI11 subcommand and runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/video_args.h"

namespace CLI {
class App;
}
namespace mms::bench {
struct BenchOptions;
}

namespace mms::tools {

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::string load_format = "auto";
  int n = 32;
  int random_prompt_len = 0;
  double temperature = 0.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool ignore_eos = false;
  std::string kv_cache_dtype = "auto";
};
void add_generate_options(CLI::App& app, GenerateArgs& args);
int run_generate(const GenerateArgs& args);

// `mmserve serve` (tools/serve.cc): the OpenAI-compatible server.
struct ServeArgs {
  std::string model;
  std::string host = "127.0.0.1";
  uint16_t port = 8000;
  std::string load_format = "auto";
  std::string served_model_name;
  int64_t max_num_seqs = 256;
  int64_t max_num_batched_tokens = 2048;
  std::string kv_cache_memory = "512MiB";
  std::string kv_cache_dtype = "auto";
  int64_t max_model_len = 0;
  int32_t block_size = 16;
  std::string scheduling_policy = "fcfs";
  int64_t max_body_bytes = int64_t{32} << 20;
  double drain_timeout_s = 30;
  int preprocess_threads = 1;
  int io_threads = 1;
  int threads = 0;
  // Media (tools/media_setup.h MediaArgs has the same fields and defaults).
  std::string mmproj;
  std::string encoder_mode = "async";
  std::string encoder_cache_memory = "256MiB";
  double tpot_target_s = 0;
  std::string prefill_chunking = "auto";
  std::string allowed_media_dir;
  bool allow_remote_media = false;
  bool allow_private_media_addresses = false;
  std::vector<std::string> allowed_media_domains;
  double media_fetch_timeout_s = 10;
  int64_t max_images_per_request = 16;
  int64_t max_image_bytes = int64_t{20} << 20;
  int64_t max_image_pixels = int64_t{64} << 20;
  int64_t min_pixels = 0;
  int64_t max_pixels = 0;
  VideoArgs video;
};
void add_serve_options(CLI::App& app, ServeArgs& args);
int run_serve(const ServeArgs& args);

// `mmserve bench` (tools/bench.cc): options straight into bench::BenchOptions.
void add_bench_options(CLI::App& app, bench::BenchOptions& opts);
int run_bench_command(bench::BenchOptions opts);

}  // namespace mms::tools
