#include "model/layers/matmul_weights.h"

#include "kernels/matmul.h"

namespace mms {

StatusOr<Tensor> MatmulWeights::get(const WeightStore& store, std::string_view name, const Shape& expected) {
  MMS_ASSIGN_OR_RETURN(const Tensor w, get_weight(store, name, expected));
  return prepare(w);
}

Tensor MatmulWeights::prepare(const Tensor& w) {
  HostBuffer storage;
  const Tensor p = kernels::prepare_weight(w, storage);
  if (storage.size() > 0) owned_.push_back(std::move(storage));
  return p;
}

}  // namespace mms
