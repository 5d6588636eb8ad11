// EngineCore: one engine step is schedule() -> Executor::execute() -> update_from_output(). Owns the
// Scheduler and the Executor. Not thread-safe: AsyncEngine's engine thread is the only caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "exec/executor.h"
#include "sched/scheduler.h"

namespace mms {

struct StepResult {
  EngineOutputs outputs;         // per-request new tokens and finishes
  std::vector<ReqId> aborted;    // requests aborted because the executor failed this step
  Status executor_status;        // the failure, when aborted is non-empty
  int64_t num_prompt_tokens = 0;      // prompt tokens computed this step (prefix hits excluded)
  int64_t num_generation_tokens = 0;  // tokens sampled this step
};

class EngineCore {
 public:
  // `clock` must outlive the core; options must pass validate_scheduler_options().
  EngineCore(const SchedulerOptions& options, std::unique_ptr<Executor> executor, const Clock& clock);

  // Queues a request; its media (mm_items[i] for request.mm_inputs[i]) go to the executor. On error
  // nothing is queued.
  Status add_request(Request request, std::vector<std::shared_ptr<const media::MediaItem>> mm_items = {});
  bool abort_request(std::string_view req_id) { return scheduler_.abort_request(req_id); }
  // Runs one step; a no-op returning empty outputs when nothing is scheduled.
  StepResult step();
  bool has_requests() const { return scheduler_.has_requests(); }
  const Scheduler& scheduler() const { return scheduler_; }
  EncoderRunnerStats encoder_stats() const { return executor_->encoder_stats(); }

 private:
  int64_t count_prompt_tokens(const SchedulerOutput& so) const;

  Scheduler scheduler_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace mms
