#include "kv/free_block_queue.h"

#include "common/check.h"

namespace mms {

FreeBlockQueue::FreeBlockQueue(int64_t num_blocks)
    : sentinel_(static_cast<int32_t>(num_blocks)),
      prev_(static_cast<size_t>(num_blocks + 1), -1),
      next_(static_cast<size_t>(num_blocks + 1), -1),
      in_queue_(static_cast<size_t>(num_blocks), false) {
  MMS_CHECK(num_blocks >= 0 && num_blocks < INT32_MAX);
  prev_[static_cast<size_t>(sentinel_)] = sentinel_;
  next_[static_cast<size_t>(sentinel_)] = sentinel_;
}

void FreeBlockQueue::push_back(int32_t block_id) {
  MMS_CHECK(block_id >= 0 && block_id < sentinel_);
  MMS_CHECK_MSG(!in_queue_[static_cast<size_t>(block_id)], "block already in the free queue");
  const int32_t last = prev_[static_cast<size_t>(sentinel_)];
  prev_[static_cast<size_t>(block_id)] = last;
  next_[static_cast<size_t>(block_id)] = sentinel_;
  next_[static_cast<size_t>(last)] = block_id;
  prev_[static_cast<size_t>(sentinel_)] = block_id;
  in_queue_[static_cast<size_t>(block_id)] = true;
  ++size_;
}

int32_t FreeBlockQueue::pop_front() {
  MMS_CHECK_MSG(size_ > 0, "pop_front on an empty free queue");
  const int32_t front = next_[static_cast<size_t>(sentinel_)];
  remove(front);
  return front;
}

void FreeBlockQueue::remove(int32_t block_id) {
  MMS_CHECK(block_id >= 0 && block_id < sentinel_);
  MMS_CHECK_MSG(in_queue_[static_cast<size_t>(block_id)], "block not in the free queue");
  const int32_t p = prev_[static_cast<size_t>(block_id)];
  const int32_t n = next_[static_cast<size_t>(block_id)];
  next_[static_cast<size_t>(p)] = n;
  prev_[static_cast<size_t>(n)] = p;
  prev_[static_cast<size_t>(block_id)] = -1;
  next_[static_cast<size_t>(block_id)] = -1;
  in_queue_[static_cast<size_t>(block_id)] = false;
  --size_;
}

std::vector<int32_t> FreeBlockQueue::to_vector() const {
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(size_));
  for (int32_t b = next_[static_cast<size_t>(sentinel_)]; b != sentinel_; b = next_[static_cast<size_t>(b)]) {
    out.push_back(b);
  }
  return out;
}

}  // namespace mms
