// Request: the scheduler's state for one generation request (tokens, progress, stop conditions, status).
// Owned by the Scheduler and touched only on the engine thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kv/block_hash.h"
#include "kv/kv_types.h"
#include "sched/mm_input.h"
#include "sched/sampling_params.h"

namespace mms {

enum class RequestStatus {
  kWaiting,
  kRunning,
  kPreempted,  // back in the waiting queue, its KV freed; recomputes prompt + outputs when resumed
  kFinishedStopped,
  kFinishedLength,
  kFinishedAborted,
};

enum class FinishReason { kStop, kLength, kAbort };

const char* request_status_name(RequestStatus status);
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "abort" (OpenAI's words)
bool is_finished(RequestStatus status);
std::optional<FinishReason> finish_reason_of(RequestStatus status);

// Stop conditions that do not depend on sampling (stop strings live with the detokenizer).
struct StopParams {
  int64_t max_tokens = 16;                 // output tokens; >= 1
  int64_t min_tokens = 0;                  // EOS and stop token ids are ignored before this many outputs
  std::optional<int32_t> eos_token_id;     // the model's EOS
  std::vector<int32_t> stop_token_ids;     // extra ids that stop (kept in the output, like EOS)
  bool ignore_eos = false;                 // ignore eos_token_id (not stop_token_ids)
};

struct Request {
  Request() = default;
  Request(ReqId id, std::vector<int32_t> prompt, StopParams stop_params, int32_t prio = 0,
          int64_t arrival_ns = -1);

  ReqId req_id;
  StopParams stop;
  SamplingParams sampling;       // carried to the executor opaquely
  int32_t priority = 0;          // lower is served first under the priority policy
  int64_t arrival_time_ns = -1;  // -1: stamped by Scheduler::add_request from its clock
  ExtraKeysFn extra_keys;        // media content hashes per block (empty for text; set from mm_inputs)
  std::vector<MmInputRef> mm_inputs;  // media items in the prompt, by offset (ids and counts only)

  RequestStatus status = RequestStatus::kWaiting;
  int64_t num_computed_tokens = 0;  // tokens whose KV is computed (or scheduled in the current step)
  int64_t num_cached_tokens = -1;   // prefix-cache hit at first scheduling; -1 before that
  int64_t num_preemptions = 0;
  std::optional<int32_t> stop_reason;  // the stop token id when a stop token id (not EOS) finished it
  std::vector<BlockHash> block_hashes;  // of the full blocks of all_token_ids

  // Scheduler bookkeeping.
  uint64_t seq = 0;              // admission order, a tie-breaker for queues
  int64_t num_tokens_sent = 0;   // tokens of all_token_ids the executor has been sent
  std::vector<bool> mm_queried;  // per media item: encoder-cache lookup counted

  int64_t num_prompt_tokens() const { return num_prompt_tokens_; }
  int64_t num_tokens() const { return static_cast<int64_t>(all_token_ids_.size()); }
  int64_t num_output_tokens() const { return num_tokens() - num_prompt_tokens_; }
  std::span<const int32_t> all_token_ids() const { return all_token_ids_; }
  std::span<const int32_t> prompt_token_ids() const {
    return std::span<const int32_t>(all_token_ids_).first(static_cast<size_t>(num_prompt_tokens_));
  }
  std::span<const int32_t> output_token_ids() const {
    return std::span<const int32_t>(all_token_ids_).subspan(static_cast<size_t>(num_prompt_tokens_));
  }
  void append_output_token(int32_t token) { all_token_ids_.push_back(token); }
  // Hashes the blocks that became full since the last call.
  void update_block_hashes(int32_t block_size);

  KvRequestView kv_view() const { return {req_id, all_token_ids_, block_hashes, num_computed_tokens}; }

 private:
  std::vector<int32_t> all_token_ids_;  // prompt, then outputs
  int64_t num_prompt_tokens_ = 0;
};

}  // namespace mms
