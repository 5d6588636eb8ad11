#include "sched/policies/request_queue.h"

#include <algorithm>
#include <deque>
#include <set>
#include <tuple>

namespace mms {
namespace {

class FcfsQueue final : public RequestQueue {
 public:
  void add(Request* r) override { q_.push_back(r); }
  void prepend(Request* r) override { q_.push_front(r); }
  Request* peek() const override { return q_.empty() ? nullptr : q_.front(); }
  Request* pop() override {
    if (q_.empty()) return nullptr;
    Request* r = q_.front();
    q_.pop_front();
    return r;
  }
  bool remove(const Request* r) override {
    auto it = std::find(q_.begin(), q_.end(), r);
    if (it == q_.end()) return false;
    q_.erase(it);
    return true;
  }
  size_t size() const override { return q_.size(); }
  std::vector<Request*> to_vector() const override { return {q_.begin(), q_.end()}; }

 private:
  std::deque<Request*> q_;
};

class PriorityQueue final : public RequestQueue {
 public:
  void add(Request* r) override { q_.insert(r); }
  // The key already places it; a preempted request keeps its original arrival time, so it stays ahead of
  // later arrivals of the same priority.
  void prepend(Request* r) override { q_.insert(r); }
  Request* peek() const override { return q_.empty() ? nullptr : *q_.begin(); }
  Request* pop() override {
    if (q_.empty()) return nullptr;
    Request* r = *q_.begin();
    q_.erase(q_.begin());
    return r;
  }
  bool remove(const Request* r) override { return q_.erase(const_cast<Request*>(r)) > 0; }
  size_t size() const override { return q_.size(); }
  std::vector<Request*> to_vector() const override { return {q_.begin(), q_.end()}; }

 private:
  struct Order {
    bool operator()(const Request* a, const Request* b) const {
      return std::tie(a->priority, a->arrival_time_ns, a->seq) < std::tie(b->priority, b->arrival_time_ns, b->seq);
    }
  };
  std::set<Request*, Order> q_;
};

}  // namespace

std::unique_ptr<RequestQueue> make_fcfs_queue() { return std::make_unique<FcfsQueue>(); }
std::unique_ptr<RequestQueue> make_priority_queue() { return std::make_unique<PriorityQueue>(); }

}  // namespace mms
