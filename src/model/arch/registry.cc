#include "model/arch/registry.h"

namespace mms {

namespace {
enum class Arch { kQwen2, kLlama, kQwen2Vl, kUnknown };
Arch arch_of(const std::string& name) {
  if (name == "Qwen2ForCausalLM") return Arch::kQwen2;
  if (name == "LlamaForCausalLM") return Arch::kLlama;
  // Qwen2-VL and Qwen2.5-VL: the language model only (the vision tower is model/vision/).
  if (name == "Qwen2VLForConditionalGeneration" || name == "Qwen2_5_VLForConditionalGeneration") {
    return Arch::kQwen2Vl;
  }
  return Arch::kUnknown;
}
}  // namespace

StatusOr<std::unique_ptr<CausalLm>> create_causal_lm(const ModelConfig& config, const WeightStore& weights) {
  MMS_RETURN_IF_ERROR(config.validate());
  switch (arch_of(config.architecture)) {
    case Arch::kQwen2:
    case Arch::kLlama:
    case Arch::kQwen2Vl:
      return create_qwen2(config, weights);
    case Arch::kUnknown:
      break;
  }
  return unimplemented("architecture '" + config.architecture +
                       "' is not supported (supported: Qwen2ForCausalLM, LlamaForCausalLM, "
                       "Qwen2VLForConditionalGeneration, Qwen2_5_VLForConditionalGeneration)");
}

}  // namespace mms
