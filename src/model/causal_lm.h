// CausalLm: a decoder-only language model's forward pass over a flattened batch of sequences (prefill
// chunks and single decode tokens mixed), writing K/V into paged blocks and returning logits for the
// requested rows. Implementations live in model/arch/ (one file per architecture). Not thread-safe: one
// forward at a time (the compute thread); kernels inside parallelize on the compute pool.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/status.h"
#include "kernels/attention.h"
#include "model/model_config.h"
#include "model/weight_store.h"

namespace mms {

// Rows of the batch whose input embedding is given (media embeddings from the vision encoder) instead of
// looked up from token_ids. Their token_ids must still be valid ids (the placeholder, image_token_id).
struct EmbeddingOverride {
  int32_t row = 0;            // first batch row
  int32_t num_rows = 0;
  const float* data = nullptr;  // [num_rows, hidden_size]
};

struct ForwardBatch {
  std::span<const int32_t> token_ids;     // [T] flattened over sequences, in sequence order
  std::span<const int32_t> positions;     // [T] position of each token in its sequence
  // M-RoPE models (config.mrope_section non-empty): [3 * T], the temporal, height and width positions
  // (row t, then row h, then row w; model/mrope_positions.h computes them). Empty: every section uses
  // `positions`, right only while no sequence in the batch holds media (tokens after an image are
  // offset by the rope delta, decode tokens included). Ignored by models without M-RoPE.
  std::span<const int32_t> mrope_positions;
  std::span<const EmbeddingOverride> embedding_overrides;  // sorted by row, non-overlapping
  std::span<const int32_t> slot_mapping;  // [T] KV slot (block_id * block_size + offset) per token
  kernels::AttentionMetadata attn;        // sequences, context lengths, block tables
  std::span<const int32_t> logits_indices;  // rows of T whose logits are wanted, in output order
};

class CausalLm {
 public:
  virtual ~CausalLm() = default;
  virtual const ModelConfig& config() const = 0;
  // Runs the batch; logits is [logits_indices.size(), vocab_size]. kv_layers has one entry per layer.
  // The caller guarantees ids < vocab_size and slots/blocks valid (validated upstream).
  virtual void forward(const ForwardBatch& batch, std::span<const kernels::PagedKvLayer> kv_layers,
                       float* logits) = 0;
};

// Builds the architecture named by config.architecture over `weights` (which must outlive the model),
// checking every tensor's presence and shape. Errors name the tensor and the weight source.
StatusOr<std::unique_ptr<CausalLm>> create_causal_lm(const ModelConfig& config, const WeightStore& weights);

}  // namespace mms
