#include "sched/request.h"

namespace mms {

Request::Request(ReqId id, std::vector<int32_t> prompt, StopParams stop_params, int32_t prio, int64_t arrival_ns)
    : req_id(std::move(id)),
      stop(std::move(stop_params)),
      priority(prio),
      arrival_time_ns(arrival_ns),
      all_token_ids_(std::move(prompt)) {
  num_prompt_tokens_ = static_cast<int64_t>(all_token_ids_.size());
}

void Request::update_block_hashes(int32_t block_size) {
  extend_block_hashes(block_hashes, all_token_ids_, block_size, extra_keys);
}

const char* request_status_name(RequestStatus status) {
  switch (status) {
    case RequestStatus::kWaiting: return "WAITING";
    case RequestStatus::kRunning: return "RUNNING";
    case RequestStatus::kPreempted: return "PREEMPTED";
    case RequestStatus::kFinishedStopped: return "FINISHED_STOPPED";
    case RequestStatus::kFinishedLength: return "FINISHED_LENGTH";
    case RequestStatus::kFinishedAborted: return "FINISHED_ABORTED";
  }
  return "?";
}

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kAbort: return "abort";
  }
  return "?";
}

bool is_finished(RequestStatus status) { return finish_reason_of(status).has_value(); }

std::optional<FinishReason> finish_reason_of(RequestStatus status) {
  switch (status) {
    case RequestStatus::kFinishedStopped: return FinishReason::kStop;
    case RequestStatus::kFinishedLength: return FinishReason::kLength;
    case RequestStatus::kFinishedAborted: return FinishReason::kAbort;
    default: return std::nullopt;
  }
}

}  // namespace mms
