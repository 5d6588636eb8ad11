#include "engine/engine_options.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "common/log.h"
#include "engine/async_engine_impl.h"
#include "engine/engine_core.h"
#include "exec/executor.h"
#include "kv/kv_capacity.h"

namespace mms {

namespace {

int64_t total_ram_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<int64_t>(pages) * page_size : 0;
}

}  // namespace

StatusOr<std::unique_ptr<AsyncEngine>> create_async_engine(const EngineOptions& options, CausalLm& model) {
  const ModelConfig& config = model.config();
  MMS_ASSIGN_OR_RETURN(const DType kv_dtype, resolve_kv_cache_dtype(options.kv_cache_dtype, config));
  int64_t kv_bytes = options.kv_cache_memory_bytes;
  if (!options.kv_cache_memory.empty()) {
    MMS_ASSIGN_OR_RETURN(kv_bytes, parse_memory_size(options.kv_cache_memory, total_ram_bytes()));
  }
  if (options.block_size <= 0) return invalid_argument("block_size must be positive");
  const int64_t bytes_per_token = kv_bytes_per_token(config, kv_dtype);
  const int64_t num_blocks = num_blocks_for_bytes(kv_bytes, bytes_per_token, options.block_size);
  if (num_blocks <= 0) {
    return invalid_argument("kv cache memory of " + std::to_string(kv_bytes) + " bytes holds no block of " +
                            std::to_string(options.block_size) + " tokens (" + std::to_string(bytes_per_token) +
                            " bytes per token)");
  }
  const int64_t capacity_tokens = num_blocks * options.block_size;
  if (options.max_model_len < 0) return invalid_argument("max_model_len must not be negative");
  if (options.max_model_len > 0 && config.max_position_embeddings > 0 &&
      options.max_model_len > config.max_position_embeddings) {
    return invalid_argument("max_model_len " + std::to_string(options.max_model_len) +
                            " exceeds the model's max_position_embeddings " +
                            std::to_string(config.max_position_embeddings));
  }
  int64_t max_model_len = options.max_model_len > 0 ? options.max_model_len : config.max_position_embeddings;
  if (max_model_len <= 0) max_model_len = capacity_tokens;
  max_model_len = std::min(max_model_len, capacity_tokens);

  SchedulerOptions so;
  so.max_num_seqs = options.max_num_seqs;
  so.max_num_batched_tokens = options.max_num_batched_tokens;
  so.long_prefill_token_threshold = options.long_prefill_token_threshold;
  so.max_model_len = max_model_len;
  so.queue_policy = options.queue_policy;
  so.preemption_mode = options.preemption_mode;
  so.kv.num_blocks = num_blocks;
  so.kv.block_size = options.block_size;
  so.kv.enable_prefix_caching = options.enable_prefix_caching;
  int64_t enc_bytes = options.encoder_cache_memory_bytes;
  if (!options.encoder_cache_memory.empty()) {
    MMS_ASSIGN_OR_RETURN(enc_bytes, parse_memory_size(options.encoder_cache_memory, total_ram_bytes()));
  }
  so.encoder_cache_tokens = std::max<int64_t>(1, enc_bytes / (config.hidden_size * static_cast<int64_t>(sizeof(float))));
  so.encoder_mode = options.encoder_mode;
  so.max_encoder_batch_cost = options.max_encoder_batch_cost;
  so.step_budget.tpot_target_s = options.tpot_target_s;
  so.step_budget.meter_prefill = options.meter_prefill;
  if (options.tpot_target_s < 0) return invalid_argument("tpot_target must not be negative");
  MMS_RETURN_IF_ERROR(validate_scheduler_options(so));

  ModelRunnerOptions ro;
  ro.num_blocks = num_blocks;
  ro.block_size = options.block_size;
  ro.kv_dtype = kv_dtype;
  ro.vision = options.vision;
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, create_model_runner(model, ro));

  log_info("engine: KV cache {} blocks x {} tokens = {} tokens ({:.1f} MiB, {} bytes/token, {}); max_model_len {}",
           num_blocks, options.block_size, capacity_tokens,
           static_cast<double>(num_blocks * options.block_size * bytes_per_token) / (1 << 20), bytes_per_token,
           dtype_name(kv_dtype), max_model_len);
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  auto core = std::make_unique<EngineCore>(so, std::move(executor), clock);
  AsyncEngineConfig ac;
  ac.max_model_len = max_model_len;
  ac.vocab_size = config.vocab_size;
  ac.kv_capacity_tokens = capacity_tokens;
  ac.accepts_media = options.vision != nullptr;
  ac.encoder_cache_tokens = so.encoder_cache_tokens;
  if (options.vision != nullptr) {
    log_info("engine: encoder cache {} embedding rows ({:.1f} MiB), encoder mode {}", so.encoder_cache_tokens,
             static_cast<double>(enc_bytes) / (1 << 20), encoder_mode_name(options.encoder_mode));
  }
  return std::unique_ptr<AsyncEngine>(std::make_unique<AsyncEngineImpl>(std::move(core), ac, clock));
}

}  // namespace mms
