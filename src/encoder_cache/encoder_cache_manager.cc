#include "encoder_cache/encoder_cache_manager.h"

#include "common/check.h"

namespace mms {

EncoderCacheManager::EncoderCacheManager(int64_t capacity_tokens) : capacity_tokens_(capacity_tokens) {
  MMS_CHECK(capacity_tokens > 0);
}

EncoderCacheManager::State EncoderCacheManager::state(const Hash128& hash) const {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return State::kAbsent;
  return it->second.ready ? State::kReady : State::kPending;
}

void EncoderCacheManager::record_query(const Hash128& hash) {
  ++counters_.num_queries;
  auto it = entries_.find(hash);
  if (it == entries_.end()) return;
  ++counters_.num_hits;
  if (it->second.in_lru) touch_unreferenced(hash, it->second);
}

bool EncoderCacheManager::can_allocate(int64_t num_tokens) const {
  return num_tokens <= capacity_tokens_ - used_tokens_ + evictable_tokens_;
}

bool EncoderCacheManager::allocate(const Hash128& hash, int64_t num_tokens, const std::string& owner) {
  MMS_CHECK(num_tokens > 0);
  if (entries_.count(hash) != 0 || !can_allocate(num_tokens)) return false;
  while (capacity_tokens_ - used_tokens_ < num_tokens) evict_one();
  Entry& e = entries_[hash];
  e.num_tokens = num_tokens;
  used_tokens_ += num_tokens;
  e.owners.insert(owner);
  by_owner_[owner].insert(hash);
  return true;
}

void EncoderCacheManager::mark_ready(const Hash128& hash) {
  auto it = entries_.find(hash);
  if (it == entries_.end() || it->second.ready) return;
  it->second.ready = true;
  if (it->second.owners.empty()) make_evictable(hash, it->second);
}

void EncoderCacheManager::make_evictable(const Hash128& hash, Entry& e) {
  e.lru_pos = lru_.insert(lru_.end(), hash);
  e.in_lru = true;
  evictable_tokens_ += e.num_tokens;
}

void EncoderCacheManager::add_ref(const Hash128& hash, const std::string& owner) {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (!e.owners.insert(owner).second) return;
  by_owner_[owner].insert(hash);
  if (e.in_lru) {
    lru_.erase(e.lru_pos);
    e.in_lru = false;
    evictable_tokens_ -= e.num_tokens;
  }
}

void EncoderCacheManager::release(const Hash128& hash, const std::string& owner) {
  auto it = entries_.find(hash);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.owners.erase(owner) == 0) return;
  auto o = by_owner_.find(owner);
  if (o != by_owner_.end()) {
    o->second.erase(hash);
    if (o->second.empty()) by_owner_.erase(o);
  }
  // A pending entry becomes evictable once ready (the executor is still writing its rows).
  if (e.owners.empty() && e.ready) make_evictable(hash, e);
}

void EncoderCacheManager::release_all(const std::string& owner) {
  auto o = by_owner_.find(owner);
  if (o == by_owner_.end()) return;
  const std::vector<Hash128> hashes(o->second.begin(), o->second.end());
  for (const Hash128& h : hashes) release(h, owner);
}

void EncoderCacheManager::touch_unreferenced(const Hash128& hash, Entry& e) {
  lru_.erase(e.lru_pos);
  e.lru_pos = lru_.insert(lru_.end(), hash);
}

void EncoderCacheManager::evict_one() {
  MMS_CHECK(!lru_.empty());
  const Hash128 victim = lru_.front();
  lru_.pop_front();
  auto it = entries_.find(victim);
  MMS_CHECK(it != entries_.end());
  used_tokens_ -= it->second.num_tokens;
  evictable_tokens_ -= it->second.num_tokens;
  entries_.erase(it);
  freed_.push_back(victim);
  ++counters_.num_evictions;
}

std::vector<Hash128> EncoderCacheManager::take_freed() {
  std::vector<Hash128> out;
  out.swap(freed_);
  return out;
}

EncoderCacheStats EncoderCacheManager::stats() const {
  EncoderCacheStats s = counters_;
  s.used_tokens = used_tokens_;
  s.capacity_tokens = capacity_tokens_;
  s.num_entries = static_cast<int64_t>(entries_.size());
  return s;
}

}  // namespace mms
