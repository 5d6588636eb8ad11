// The one place a preemption policy name maps to an implementation.
#include <string>

#include "common/check.h"
#include "sched/policies/preemption_policy.h"

namespace mms {

StatusOr<PreemptionMode> parse_preemption_mode(std::string_view name) {
  if (name == "newest") return PreemptionMode::kNewest;
  if (name == "priority") return PreemptionMode::kLowestPriority;
  return invalid_argument("unknown preemption policy '" + std::string(name) + "' (expected newest or priority)");
}

const char* preemption_mode_name(PreemptionMode mode) {
  switch (mode) {
    case PreemptionMode::kNewest: return "newest";
    case PreemptionMode::kLowestPriority: return "priority";
  }
  return "?";
}

std::unique_ptr<PreemptionPolicy> make_preemption_policy(PreemptionMode mode) {
  switch (mode) {
    case PreemptionMode::kNewest: return make_newest_preemption();
    case PreemptionMode::kLowestPriority: return make_lowest_priority_preemption();
  }
  MMS_CHECK_MSG(false, "unhandled PreemptionMode");
  return nullptr;
}

}  // namespace mms
