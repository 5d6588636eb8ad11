// RequestQueue: the order in which waiting requests are admitted (a policy). Holds non-owning Request
// pointers; the Scheduler owns the requests. Not thread-safe (engine thread). Implementations: FCFS and
// priority; pick one by name with make_request_queue() (request_queue_factory.cc).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sched/request.h"

namespace mms {

class RequestQueue {
 public:
  virtual ~RequestQueue() = default;
  // A new arrival.
  virtual void add(Request* request) = 0;
  // A preempted request going back: served before the requests it would otherwise tie with.
  virtual void prepend(Request* request) = 0;
  // The next request to admit; nullptr when empty.
  virtual Request* peek() const = 0;
  // Removes and returns peek(); nullptr when empty.
  virtual Request* pop() = 0;
  // Removes `request` if queued; returns whether it was.
  virtual bool remove(const Request* request) = 0;
  virtual size_t size() const = 0;
  bool empty() const { return size() == 0; }
  // Service order, first to admit first.
  virtual std::vector<Request*> to_vector() const = 0;
};

enum class QueuePolicy {
  kFcfs,      // arrival order; preempted requests go to the front
  kPriority,  // lower Request::priority first, then earlier arrival
};

// "fcfs" | "priority"; InvalidArgument naming the value otherwise.
StatusOr<QueuePolicy> parse_queue_policy(std::string_view name);
const char* queue_policy_name(QueuePolicy policy);
std::unique_ptr<RequestQueue> make_request_queue(QueuePolicy policy);

// Implementations (request_queue.cc); use make_request_queue().
std::unique_ptr<RequestQueue> make_fcfs_queue();
std::unique_ptr<RequestQueue> make_priority_queue();

}  // namespace mms
