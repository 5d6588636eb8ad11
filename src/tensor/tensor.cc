#include "tensor/tensor.h"

namespace mms {

std::string Shape::to_string() const {
  std::string s = "[";
  for (int i = 0; i < ndim; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string Tensor::describe() const {
  return std::string(dtype_name(dtype)) + shape.to_string() + (layout == Layout::kTiles16x32 ? " (tiles 16x32)" : "");
}

}  // namespace mms
