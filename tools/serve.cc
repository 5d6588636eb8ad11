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
#include "tools/model_setup.h"


namespace mms::tools {

void add_serve_options(CLI::App& app, ServeArgs& a) {
  app.add_option("--model,-m", a.model, "GGUF file or Hugging Face checkpoint directory (or config for dummy)")
      ->required();
  app.add_option("--host", a.host, "Address to listen on");
  app.add_option("--port", a.port, "Port to listen on (0: an ephemeral port, printed at start-up)");
  app.add_option("--load-format", a.load_format, "auto | dummy (real architecture, random weights)")
      ->check(CLI::IsMember({"auto", "dummy"}));
  app.add_option("--served-model-name", a.served_model_name, "Model name in the API (default: the file/dir name)");
  app.add_option("--max-num-seqs", a.max_num_seqs, "Most requests running at once")->check(CLI::PositiveNumber);
  app.add_option("--max-num-batched-tokens", a.max_num_batched_tokens, "Token budget of one engine step")
      ->check(CLI::PositiveNumber);
  app.add_option("--kv-cache-memory", a.kv_cache_memory, "KV cache budget: bytes (512MiB, 4GB) or a fraction of RAM (0.1)");
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
}

int run_serve(const ServeArgs& a) {
  auto ready = load_ready_model(a.model, a.load_format, a.threads);
  if (!ready) return 1;
  LoadedModel* loaded = &ready->files;
  auto* lm = &ready->lm;
  EngineOptions eo;
  eo.max_num_seqs = a.max_num_seqs;
  eo.max_num_batched_tokens = a.max_num_batched_tokens;
  eo.kv_cache_memory = a.kv_cache_memory;
  eo.max_model_len = a.max_model_len;
  eo.block_size = a.block_size;
  auto policy = parse_queue_policy(a.scheduling_policy);
  if (!policy.ok()) {
    std::fprintf(stderr, "error: %s\n", policy.status().to_string().c_str());
    return 1;
  }
  eo.queue_policy = *policy;
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
