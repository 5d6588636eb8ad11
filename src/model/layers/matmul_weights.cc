#include "model/layers/matmul_weights.h"

#include <cstring>
#include <vector>

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

StatusOr<Tensor> MatmulWeights::get_stacked(const WeightStore& store, std::span<const std::string> names,
                                           std::span<const Shape> expected) {
  MMS_CHECK(!names.empty() && names.size() == expected.size());
  std::vector<Tensor> parts;
  int64_t rows = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    MMS_ASSIGN_OR_RETURN(const Tensor w, get_weight(store, names[i], expected[i]));
    if (!parts.empty() && (w.dtype != parts[0].dtype || w.dim(1) != parts[0].dim(1)))
      return invalid_argument(names[i] + ": " + w.describe() + " cannot be stacked under " + names[0] + ": " +
                              parts[0].describe());
    rows += w.dim(0);
    parts.push_back(w);
  }
  HostBuffer stacked(static_cast<size_t>(rows) * parts[0].nbytes() / parts[0].dim(0), HostBuffer::Uninitialized{});
  size_t offset = 0;
  for (const Tensor& w : parts) {
    std::memcpy(stacked.as<uint8_t>() + offset, w.data, w.nbytes());
    offset += w.nbytes();
  }
  const Tensor whole(stacked.data(), parts[0].dtype, {rows, parts[0].dim(1)});
  HostBuffer storage;
  const Tensor p = kernels::prepare_weight(whole, storage);
  // Keep the tiled copy when prepare_weight made one (the stacked rows are dropped), else the stacked rows.
  owned_.push_back(storage.size() > 0 ? std::move(storage) : std::move(stacked));
  return p;
}

}  // namespace mms
