#include "model/arch/registry.h"

namespace mms {

namespace {
enum class Arch { kQwen2, kLlama, kUnknown };
Arch arch_of(const std::string& name) {
  if (name == "Qwen2ForCausalLM") return Arch::kQwen2;
  if (name == "LlamaForCausalLM") return Arch::kLlama;
  return Arch::kUnknown;
}
}  // namespace

StatusOr<std::unique_ptr<CausalLm>> create_causal_lm(const ModelConfig& config, const WeightStore& weights) {
  MMS_RETURN_IF_ERROR(config.validate());
  switch (arch_of(config.architecture)) {
    case Arch::kQwen2:
    case Arch::kLlama:
      return create_qwen2(config, weights);
    case Arch::kUnknown:
      break;
  }
  return unimplemented("architecture '" + config.architecture +
                       "' is not supported (supported: Qwen2ForCausalLM, LlamaForCausalLM)");
}

}  // namespace mms
