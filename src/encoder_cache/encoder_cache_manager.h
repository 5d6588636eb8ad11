// EncoderCacheManager: the logical encoder-output cache. Which media items (by content hash) have their
// vision-encoder embeddings held by the executor, which are still being encoded, who uses them, and which
// to evict (least recently used among the unreferenced) when a new item needs room. Counts embedding rows
// ("tokens") only; the executor holds the floats under the same hashes and frees the hashes this manager
// reports. Not thread-safe: the scheduler calls it from the engine thread.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/hash.h"

namespace mms {

struct EncoderCacheStats {
  int64_t num_queries = 0;    // media items looked up (once per item per admitted request)
  int64_t num_hits = 0;       // of those, found held or already being encoded
  int64_t num_evictions = 0;  // entries dropped to make room
  int64_t used_tokens = 0;    // embedding rows held or reserved now
  int64_t capacity_tokens = 0;
  int64_t num_entries = 0;
};

class EncoderCacheManager {
 public:
  enum class State { kAbsent, kPending, kReady };

  // capacity_tokens: embedding rows the executor may hold at once (> 0).
  explicit EncoderCacheManager(int64_t capacity_tokens);

  State state(const Hash128& hash) const;
  bool is_ready(const Hash128& hash) const { return state(hash) == State::kReady; }

  // Counts a lookup for the statistics: a hit when the entry exists (pending or ready).
  void record_query(const Hash128& hash);

  // Whether an entry of num_tokens rows fits now, counting what evicting unreferenced entries would free.
  bool can_allocate(int64_t num_tokens) const;
  // Reserves room for a new pending entry referenced by `owner`, evicting unreferenced entries (least
  // recently used first) as needed. Returns false (nothing changed) when it cannot fit or already exists.
  bool allocate(const Hash128& hash, int64_t num_tokens, const std::string& owner);
  // The executor finished encoding `hash`: its rows are now usable. Ignored for unknown hashes.
  void mark_ready(const Hash128& hash);

  // `owner` (a request id) uses the entry: it is not evicted while referenced. No-op if absent.
  void add_ref(const Hash128& hash, const std::string& owner);
  // Drops owner's reference (no-op if none). An unreferenced ready entry stays cached until evicted; an
  // unreferenced pending entry is kept too (its encoding completes and may serve a later request) and
  // becomes evictable when ready.
  void release(const Hash128& hash, const std::string& owner);
  // Drops every reference `owner` holds.
  void release_all(const std::string& owner);

  // Hashes evicted since the last call: the executor frees their rows.
  std::vector<Hash128> take_freed();

  EncoderCacheStats stats() const;

 private:
  struct HashHasher {
    size_t operator()(const Hash128& h) const { return static_cast<size_t>(h.lo ^ (h.hi * 0x9e3779b97f4a7c15ULL)); }
  };
  struct Entry {
    int64_t num_tokens = 0;
    bool ready = false;
    std::unordered_set<std::string> owners;
    std::list<Hash128>::iterator lru_pos;  // valid while in_lru (ready and unreferenced)
    bool in_lru = false;
  };

  void touch_unreferenced(const Hash128& hash, Entry& entry);
  void make_evictable(const Hash128& hash, Entry& entry);
  void evict_one();

  int64_t capacity_tokens_;
  int64_t used_tokens_ = 0;
  int64_t evictable_tokens_ = 0;  // rows of unreferenced entries
  std::unordered_map<Hash128, Entry, HashHasher> entries_;
  std::list<Hash128> lru_;  // unreferenced entries, least recently used first
  std::unordered_map<std::string, std::unordered_set<Hash128, HashHasher>> by_owner_;
  std::vector<Hash128> freed_;
  EncoderCacheStats counters_;
};

}  // namespace mms
