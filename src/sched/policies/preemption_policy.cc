#include "sched/policies/preemption_policy.h"

#include <tuple>

namespace mms {
namespace {

class NewestPreemption final : public PreemptionPolicy {
 public:
  size_t choose_victim(std::span<const Request* const> running) const override { return running.size() - 1; }
};

class LowestPriorityPreemption final : public PreemptionPolicy {
 public:
  size_t choose_victim(std::span<const Request* const> running) const override {
    size_t best = 0;
    for (size_t i = 1; i < running.size(); ++i) {
      const Request* a = running[i];
      const Request* b = running[best];
      // >= so that among equal keys the later-admitted one is chosen.
      if (std::tie(a->priority, a->arrival_time_ns, a->seq) >= std::tie(b->priority, b->arrival_time_ns, b->seq)) {
        best = i;
      }
    }
    return best;
  }
};

}  // namespace

std::unique_ptr<PreemptionPolicy> make_newest_preemption() { return std::make_unique<NewestPreemption>(); }
std::unique_ptr<PreemptionPolicy> make_lowest_priority_preemption() {
  return std::make_unique<LowestPriorityPreemption>();
}

}  // namespace mms
