// The step messages between the scheduler and the executor: SchedulerOutput (what to compute this step)
// and ModelRunnerOutput (what it sampled). Plain value types; thread-compatible. New requests are sent
// whole, running ones as diffs (vLLM V1's shape).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kv/kv_types.h"
#include "sched/mm_input.h"
#include "sched/sampling_params.h"

namespace mms {

// A request the executor has not seen (or has dropped): everything it needs.
struct NewRequestData {
  ReqId req_id;
  std::vector<int32_t> prompt_token_ids;
  std::vector<int32_t> block_ids;       // all its blocks, prefix hits first
  int64_t num_computed_tokens = 0;      // tokens already in KV (prefix-cache hit); compute from here
  SamplingParams sampling;
  std::vector<MmInputRef> mm_inputs;    // media placeholders in the prompt (their rows come from the encoder cache)
};

// A request the executor already holds, as a diff.
struct CachedRequestData {
  ReqId req_id;
  // True when the request was preempted (its KV freed) and resumes now: block_ids then replaces its block
  // table and all_token_ids (prompt + outputs so far) its token list.
  bool resumed_from_preemption = false;
  std::vector<int32_t> new_token_ids;   // tokens appended since it was last sent (sampled outputs)
  std::vector<int32_t> all_token_ids;   // only when resumed_from_preemption
  std::vector<int32_t> new_block_ids;   // blocks to append (all blocks when resumed)
  int64_t num_computed_tokens = 0;      // tokens already in KV before this step
};

// An encoder job to start: media item `input_index` of request `req_id` (the executor holds its pixels).
// Its output rows go into the executor's encoder cache under input.hash.
struct ScheduledEncoderInput {
  ReqId req_id;
  int32_t input_index = 0;  // which media item of the request
  MmInputRef input;
};

struct SchedulerOutput {
  std::vector<NewRequestData> scheduled_new_reqs;
  std::vector<CachedRequestData> scheduled_cached_reqs;
  // Tokens to compute per scheduled request; tokens [num_computed_tokens, + n) of its token list.
  std::unordered_map<ReqId, int64_t> num_scheduled_tokens;
  int64_t total_num_scheduled_tokens = 0;
  // Encoder jobs to start this step (started together: the executor may batch them into one job).
  std::vector<ScheduledEncoderInput> scheduled_encoder_inputs;
  // Wall time the executor may spend on encoder work this step, after the forward pass. Negative:
  // finish every started encoder job before the forward pass (inline mode: this step's prefill needs it).
  double encoder_time_budget_s = 0;
  // Encoder-cache entries evicted since the previous step: free their rows.
  std::vector<Hash128> freed_encoder_hashes;
  // Requests finished (stopped, length, aborted) since the previous step: drop their state.
  std::vector<ReqId> finished_req_ids;
  // Requests preempted this step: their blocks are gone; they come back as resumed cached requests.
  std::vector<ReqId> preempted_req_ids;
  // Prefix-cache block hashes evicted since the previous step (KV events for routers).
  std::vector<BlockHash> freed_block_hashes;

  bool empty() const {
    return total_num_scheduled_tokens == 0 && scheduled_encoder_inputs.empty() && encoder_time_budget_s == 0;
  }
};

// What the executor produced for a step: sampled tokens per request. A request whose scheduled tokens
// were a prefill chunk not reaching the end of its prompt has no entry (or an empty one).
struct ModelRunnerOutput {
  std::unordered_map<ReqId, std::vector<int32_t>> sampled_token_ids;
  // Parallel to sampled_token_ids, only for requests whose sampling.logprobs is set.
  std::unordered_map<ReqId, std::vector<TokenLogprob>> logprobs;
  // Encoder-cache entries whose rows became complete this step.
  std::vector<Hash128> finished_encoder_hashes;
  double forward_seconds = 0;  // wall time of the step's forward pass and sampling
  double encoder_seconds = 0;  // wall time of encoder work in the step
};

}  // namespace mms
