// FreeBlockQueue: the free blocks of a BlockPool as an intrusive doubly linked list over block ids.
// Blocks are taken from the front and returned to the back, so cached-but-free blocks are evicted least
// recently freed first; remove() takes a block out of the middle in O(1) (a prefix-cache hit).
// Not thread-safe; owned by BlockPool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mms {

class FreeBlockQueue {
 public:
  // Holds no blocks initially.
  explicit FreeBlockQueue(int64_t num_blocks);

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool contains(int32_t block_id) const { return in_queue_[static_cast<size_t>(block_id)]; }

  void push_back(int32_t block_id);
  // Requires !empty().
  int32_t pop_front();
  // Requires contains(block_id).
  void remove(int32_t block_id);
  // Front to back; for tests and debugging.
  std::vector<int32_t> to_vector() const;

 private:
  // Index num_blocks is the sentinel: next_[sentinel] is the front, prev_[sentinel] the back.
  int32_t sentinel_;
  std::vector<int32_t> prev_, next_;
  std::vector<bool> in_queue_;
  int64_t size_ = 0;
};

}  // namespace mms
