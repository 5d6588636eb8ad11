#include "sched/policies/request_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "sched/policies/preemption_policy.h"

namespace mms {
namespace {

Request req(const char* id, int prio, int64_t arrival, uint64_t seq) {
  Request r(id, {1}, StopParams{}, prio, arrival);
  r.seq = seq;
  return r;
}

std::vector<ReqId> ids(const RequestQueue& q) {
  std::vector<ReqId> out;
  for (const Request* r : q.to_vector()) out.push_back(r->req_id);
  return out;
}

TEST(RequestQueueTest, FcfsOrderPrependAndRemove) {
  Request a = req("a", 5, 0, 0), b = req("b", 0, 1, 1), c = req("c", 1, 2, 2), p = req("p", 9, 3, 3);
  auto q = make_request_queue(QueuePolicy::kFcfs);
  q->add(&a);
  q->add(&b);
  q->add(&c);
  q->prepend(&p);
  EXPECT_EQ(ids(*q), (std::vector<ReqId>{"p", "a", "b", "c"}));
  EXPECT_TRUE(q->remove(&b));
  EXPECT_FALSE(q->remove(&b));
  EXPECT_EQ(q->pop(), &p);
  EXPECT_EQ(q->peek(), &a);
  EXPECT_EQ(q->size(), 2u);
}

TEST(RequestQueueTest, PriorityThenArrival) {
  Request a = req("a", 5, 0, 0), b = req("b", 1, 3, 1), c = req("c", 1, 2, 2), d = req("d", 1, 2, 3);
  auto q = make_request_queue(QueuePolicy::kPriority);
  for (Request* r : {&a, &b, &c, &d}) q->add(r);
  EXPECT_EQ(ids(*q), (std::vector<ReqId>{"c", "d", "b", "a"}));
  EXPECT_TRUE(q->remove(&d));
  EXPECT_EQ(q->pop(), &c);
  EXPECT_EQ(q->pop(), &b);
  EXPECT_EQ(q->pop(), &a);
  EXPECT_EQ(q->pop(), nullptr);
  EXPECT_TRUE(q->empty());
}

TEST(PreemptionPolicyTest, Choices) {
  Request a = req("a", 0, 0, 0), b = req("b", 7, 1, 1), c = req("c", 7, 2, 2), d = req("d", 2, 3, 3);
  std::vector<const Request*> running{&a, &b, &c, &d};
  EXPECT_EQ(make_preemption_policy(PreemptionMode::kNewest)->choose_victim(running), 3u);
  EXPECT_EQ(make_preemption_policy(PreemptionMode::kLowestPriority)->choose_victim(running), 2u);
}

}  // namespace
}  // namespace mms
