// Shared start-up of the subcommands that run a model: set compute threads, load the files, build the
// architecture. Prints the error and returns nullopt on failure.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "model/causal_lm.h"
#include "model/model_loader.h"

namespace mms::tools {

struct ReadyModel {
  LoadedModel files;
  std::unique_ptr<CausalLm> lm;
};

// The model `mmserve serve` runs without --model: models/tiny-qwen25vl-shapes (tools/tiny_vlm), looked up
// under the working directory, next to the binary's build tree (<repo>/build/tools/mmserve) and in the
// source tree the binary was built from. Empty when none of them holds a config.json.
std::string bundled_model_path();
// The places bundled_model_path() looks, for error messages.
std::string bundled_model_search_paths();

// load_format: "auto" | "dummy"; threads 0 keeps the default (all cores).
std::optional<ReadyModel> load_ready_model(const std::string& path, const std::string& load_format, int threads);

}  // namespace mms::tools
