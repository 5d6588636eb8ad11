#include "model/layers/f32_params.h"

namespace mms {

StatusOr<const float*> F32Params::get(const WeightStore& store, std::string_view name, int64_t numel) {
  MMS_ASSIGN_OR_RETURN(Tensor t, get_weight(store, name, Shape{numel}));
  if (t.dtype == DType::kF32) return t.as<float>();
  HostBuffer& buf = owned_.emplace_back(static_cast<size_t>(numel) * sizeof(float));
  float* out = buf.as<float>();
  const auto* in = t.as<uint16_t>();
  for (int64_t i = 0; i < numel; ++i) {
    out[i] = t.dtype == DType::kBF16 ? bf16_to_f32(in[i]) : f16_to_f32(in[i]);
  }
  return static_cast<const float*>(out);
}

}  // namespace mms
