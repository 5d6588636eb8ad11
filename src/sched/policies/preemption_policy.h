// PreemptionPolicy: which running request gives up its KV blocks when a step's blocks run out. Takes a
// read-only view of the running requests and returns a choice. Stateless; thread-safe. Pick one by name
// with make_preemption_policy() (preemption_policy_factory.cc).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "common/status.h"
#include "sched/request.h"

namespace mms {

class PreemptionPolicy {
 public:
  virtual ~PreemptionPolicy() = default;
  // Index into `running` (admission order, oldest first; never empty) of the request to preempt. The
  // victim is recomputed later (its blocks are freed, its outputs kept).
  virtual size_t choose_victim(std::span<const Request* const> running) const = 0;
};

enum class PreemptionMode {
  kNewest,          // the most recently admitted request (vLLM's FCFS choice)
  kLowestPriority,  // the largest Request::priority value, latest arrival among equals
};

// "newest" | "priority"; InvalidArgument naming the value otherwise.
StatusOr<PreemptionMode> parse_preemption_mode(std::string_view name);
const char* preemption_mode_name(PreemptionMode mode);
std::unique_ptr<PreemptionPolicy> make_preemption_policy(PreemptionMode mode);

// Implementations (preemption_policy.cc); use make_preemption_policy().
std::unique_ptr<PreemptionPolicy> make_newest_preemption();
std::unique_ptr<PreemptionPolicy> make_lowest_priority_preemption();

}  // namespace mms
