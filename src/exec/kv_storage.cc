#include "exec/kv_storage.h"

namespace mms {

int64_t KvStorage::bytes_per_token(const KvStorageOptions& o) {
  return 2 * o.num_layers * o.n_kv_heads * o.head_dim * static_cast<int64_t>(dtype_size(o.dtype));
}

KvStorage::KvStorage(const KvStorageOptions& options)
    : options_(options),
      buffer_(static_cast<size_t>(bytes_per_token(options) * options.num_blocks * options.block_size)) {
  const int64_t per_tensor = options.num_blocks * options.block_size * options.n_kv_heads * options.head_dim *
                             static_cast<int64_t>(dtype_size(options.dtype));
  auto* base = static_cast<uint8_t*>(buffer_.data());
  for (int64_t l = 0; l < options.num_layers; ++l) {
    kernels::PagedKvLayer layer;
    layer.k = base + (2 * l) * per_tensor;
    layer.v = base + (2 * l + 1) * per_tensor;
    layer.dtype = options.dtype;
    layer.num_blocks = options.num_blocks;
    layer.block_size = options.block_size;
    layer.n_kv_heads = options.n_kv_heads;
    layer.head_dim = options.head_dim;
    layers_.push_back(layer);
  }
}

}  // namespace mms
