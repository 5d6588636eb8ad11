#include "tools/model_setup.h"

#include <cstdio>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "common/log.h"

namespace mms::tools {

std::optional<ReadyModel> load_ready_model(const std::string& path, const std::string& load_format, int threads) {
  if (threads > 0) set_compute_threads(threads);
  log_info("cpu: {}; compute threads: {}", cpu_features().to_string(), compute_threads());
  LoadOptions lo;
  lo.load_format = load_format == "dummy" ? LoadFormat::kDummy : LoadFormat::kAuto;
  auto loaded = load_model(path, lo);
  if (!loaded.ok()) {
    std::fprintf(stderr, "error: %s\n", loaded.status().to_string().c_str());
    return std::nullopt;
  }
  auto lm = create_causal_lm(loaded->config, *loaded->weights);
  if (!lm.ok()) {
    std::fprintf(stderr, "error: %s\n", lm.status().to_string().c_str());
    return std::nullopt;
  }
  return ReadyModel{std::move(*loaded), std::move(*lm)};
}

}  // namespace mms::tools
