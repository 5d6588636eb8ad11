// Architecture factories, one per file in model/arch/, selected by the checkpoint's own architecture
// name in registry.cc (an explicit switch over known names).
#pragma once

#include <memory>

#include "model/causal_lm.h"

namespace mms {

// Qwen2ForCausalLM, LlamaForCausalLM and the Qwen2-VL / Qwen2.5-VL language models (model/arch/qwen2.cc).
StatusOr<std::unique_ptr<CausalLm>> create_qwen2(const ModelConfig& config, const WeightStore& weights);

}  // namespace mms
