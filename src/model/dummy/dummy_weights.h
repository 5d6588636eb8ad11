// Dummy weights (vLLM's --load-format dummy): every tensor of decoder_tensor_specs() at its real shape,
// filled with deterministic pseudo-random values so a model of any size can be benchmarked without its
// checkpoint. Matrices (embeddings, projections) in the requested dtype ~ N(0, 0.02); norms f32 = 1.0;
// biases f32 ~ N(0, 0.02). Value i of tensor `name` depends only on (seed, name, i). Filling runs on the
// compute pool. The store owns its buffers; immutable after creation; thread-safe for reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "model/decoder_tensor_specs.h"
#include "model/model_config.h"
#include "model/weight_store.h"

namespace mms {

// Errors: InvalidArgument for an invalid config or an unsupported dtype (f32, f16, bf16 are supported),
// ResourceExhausted if the total size is absurd (> 1 TiB).
StatusOr<std::unique_ptr<WeightStore>> make_dummy_weights(const ModelConfig& config, DType matrix_dtype,
                                                          uint64_t seed, std::string source = "dummy");

// The same for any list of tensors (e.g. a vision tower's, model/vision/vision_weights.h), laid out and filled
// the same way. The specs' shapes must be positive and bounded (the caller validated its config).
StatusOr<std::unique_ptr<WeightStore>> make_dummy_weights(const std::vector<TensorSpec>& specs, DType matrix_dtype,
                                                          uint64_t seed, std::string source = "dummy");

// The value a dummy matrix or bias holds at flat index i (before rounding to its dtype). Exposed for tests.
float dummy_weight_value(uint64_t seed, std::string_view tensor_name, int64_t index);

}  // namespace mms
