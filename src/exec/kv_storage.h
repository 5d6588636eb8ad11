// KvStorage: the physical K/V bytes of every layer, preallocated at start-up as num_blocks paged blocks
// ([num_blocks, n_kv_heads, block_size, head_dim] per layer for K and for V). The executor owns it; kv/
// decides which request holds which block ids. Not thread-safe: used by the compute thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "tensor/host_buffer.h"

namespace mms {

struct KvStorageOptions {
  int64_t num_layers = 0;
  int64_t num_blocks = 0;
  int32_t block_size = 16;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  DType dtype = DType::kF32;
};

class KvStorage {
 public:
  explicit KvStorage(const KvStorageOptions& options);
  // Bytes one token's K and V take over all layers.
  static int64_t bytes_per_token(const KvStorageOptions& options);

  const kernels::PagedKvLayer& layer(int64_t i) const { return layers_[static_cast<size_t>(i)]; }
  int64_t num_blocks() const { return options_.num_blocks; }
  int32_t block_size() const { return options_.block_size; }
  const KvStorageOptions& options() const { return options_; }

 private:
  KvStorageOptions options_;
  HostBuffer buffer_;
  std::vector<kernels::PagedKvLayer> layers_;
};

}  // namespace mms
