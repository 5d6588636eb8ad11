// The one place a queue policy name maps to an implementation.
#include <string>

#include "common/check.h"
#include "sched/policies/request_queue.h"

namespace mms {

StatusOr<QueuePolicy> parse_queue_policy(std::string_view name) {
  if (name == "fcfs") return QueuePolicy::kFcfs;
  if (name == "priority") return QueuePolicy::kPriority;
  return invalid_argument("unknown scheduling policy '" + std::string(name) + "' (expected fcfs or priority)");
}

const char* queue_policy_name(QueuePolicy policy) {
  switch (policy) {
    case QueuePolicy::kFcfs: return "fcfs";
    case QueuePolicy::kPriority: return "priority";
  }
  return "?";
}

std::unique_ptr<RequestQueue> make_request_queue(QueuePolicy policy) {
  switch (policy) {
    case QueuePolicy::kFcfs: return make_fcfs_queue();
    case QueuePolicy::kPriority: return make_priority_queue();
  }
  MMS_CHECK_MSG(false, "unhandled QueuePolicy");
  return nullptr;
}

}  // namespace mms
