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

// load_format: "auto" | "dummy"; threads 0 keeps the default (all cores).
std::optional<ReadyModel> load_ready_model(const std::string& path, const std::string& load_format, int threads);

}  // namespace mms::tools
