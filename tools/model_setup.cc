#include "tools/model_setup.h"

#include <cstdio>
#include <filesystem>
#include <vector>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "common/log.h"

namespace mms::tools {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBundledModel = "models/tiny-qwen25vl-shapes";

std::vector<fs::path> bundled_model_candidates() {
  std::vector<fs::path> out = {fs::path(kBundledModel)};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path().parent_path().parent_path() / kBundledModel);  // <repo>/build/tools/
#ifdef MMS_SOURCE_DIR
  out.push_back(fs::path(MMS_SOURCE_DIR) / kBundledModel);
#endif
  return out;
}

}  // namespace

std::string bundled_model_path() {
  std::error_code ec;
  for (const fs::path& p : bundled_model_candidates())
    if (fs::is_regular_file(p / "config.json", ec)) return p.lexically_normal().string();
  return "";
}

std::string bundled_model_search_paths() {
  std::string out;
  for (const fs::path& p : bundled_model_candidates()) out += (out.empty() ? "" : ", ") + p.lexically_normal().string();
  return out;
}

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
