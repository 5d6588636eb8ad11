// EngineOutput: per-request results of one step, from Scheduler::update_from_output to the engine's
// output streams. Plain value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kv/kv_types.h"
#include "sched/request.h"

namespace mms {

struct EngineOutput {
  ReqId req_id;
  std::vector<int32_t> new_token_ids;  // outputs produced this step (never re-sent after a preemption)
  std::vector<TokenLogprob> logprobs;  // parallel to new_token_ids when sampling.logprobs is set
  std::optional<FinishReason> finish_reason;  // set on the request's last output
  std::optional<int32_t> stop_reason;         // the stop token id, when one (not EOS) finished it
  int64_t num_cached_tokens = 0;              // prompt tokens served from the prefix cache
  bool finished() const { return finish_reason.has_value(); }
};

struct EngineOutputs {
  std::vector<EngineOutput> outputs;
};

}  // namespace mms
