// load_model(): opens what a user points at (a GGUF file, a Hugging Face checkpoint directory, or, with
// the dummy load format, a directory or config.json) and returns the model description, its weights,
// tokenizer, generation defaults and chat template. Not thread-safe; call once at start-up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "model/model_config.h"
#include "model/tokenizer/tokenizer.h"
#include "model/weight_store.h"

namespace mms {

enum class LoadFormat { kAuto, kDummy };

struct LoadOptions {
  LoadFormat load_format = LoadFormat::kAuto;
  DType dummy_dtype = DType::kBF16;  // dtype of the big matrices of a dummy model
  uint64_t dummy_seed = 0;
};

struct LoadedModel {
  ModelConfig config;
  std::unique_ptr<WeightStore> weights;
  std::unique_ptr<Tokenizer> tokenizer;  // null only for a dummy model with no tokenizer files
  GenerationConfig generation;
  std::string chat_template;  // Jinja source, empty when the checkpoint has none
  std::string name;           // default served model name: the file or directory name
};

StatusOr<LoadedModel> load_model(const std::string& path, const LoadOptions& options = {});

}  // namespace mms
