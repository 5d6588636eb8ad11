#include "engine/engine_core.h"

#include <algorithm>

#include "common/log.h"

namespace mms {

EngineCore::EngineCore(const SchedulerOptions& options, std::unique_ptr<Executor> executor, const Clock& clock)
    : scheduler_(options, clock), executor_(std::move(executor)) {}

Status EngineCore::add_request(Request request, std::vector<std::shared_ptr<const media::MediaItem>> mm_items) {
  const ReqId id = request.req_id;
  MMS_RETURN_IF_ERROR(scheduler_.add_request(std::move(request)));
  if (!mm_items.empty()) {
    Status s = executor_->add_media(id, std::move(mm_items));
    if (!s.ok()) {
      scheduler_.abort_request(id);  // reported as finished in the next step: the executor drops its state
      return s;
    }
  }
  return ok_status();
}

int64_t EngineCore::count_prompt_tokens(const SchedulerOutput& so) const {
  // After schedule(), num_computed_tokens already includes this step's tokens.
  int64_t total = 0;
  for (const auto& [id, n] : so.num_scheduled_tokens) {
    const Request* r = scheduler_.find_request(id);
    if (r == nullptr) continue;
    const int64_t end = r->num_computed_tokens;
    const int64_t begin = end - n;
    total += std::max<int64_t>(0, std::min(end, r->num_prompt_tokens()) - begin);
  }
  return total;
}

StepResult EngineCore::step() {
  StepResult result;
  const SchedulerOutput so = scheduler_.schedule();
  result.num_prompt_tokens = count_prompt_tokens(so);
  StatusOr<ModelRunnerOutput> mro = executor_->execute(so);
  if (!mro.ok()) {
    log_error("engine: executor failed, aborting the step's {} requests: {}", so.num_scheduled_tokens.size(),
              mro.status().to_string());
    result.executor_status = mro.status();
    for (const auto& [id, n] : so.num_scheduled_tokens) {
      if (scheduler_.abort_request(id)) result.aborted.push_back(id);
    }
    for (const ScheduledEncoderInput& e : so.scheduled_encoder_inputs) {
      if (scheduler_.abort_request(e.req_id)) result.aborted.push_back(e.req_id);
    }
    return result;
  }
  result.outputs = scheduler_.update_from_output(so, *mro);
  for (const EngineOutput& o : result.outputs.outputs) {
    result.num_generation_tokens += static_cast<int64_t>(o.new_token_ids.size());
  }
  return result;
}

}  // namespace mms
