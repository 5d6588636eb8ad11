#include "model/weight_store.h"

namespace mms {

StatusOr<Tensor> get_weight(const WeightStore& store, std::string_view name, const Shape& expected) {
  MMS_ASSIGN_OR_RETURN(Tensor t, store.get(name));
  if (!(t.shape == expected)) {
    return invalid_argument(store.source() + ": tensor '" + std::string(name) + "' has shape " +
                            t.shape.to_string() + ", expected " + expected.to_string());
  }
  return t;
}

}  // namespace mms
