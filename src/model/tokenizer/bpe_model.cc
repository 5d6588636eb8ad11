#include "model/tokenizer/bpe_model.h"

#include <algorithm>


namespace mms::tokenizer {

// Open-addressing hash table (linear probing) from a (left, right) id pair to its merge.
struct BpeModel::MergeTable {
  struct Slot {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t merged = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  std::vector<Slot> slots;
  uint64_t mask = 0;

  static uint64_t key_of(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
  }
  explicit MergeTable(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots.resize(cap);
    mask = cap - 1;
  }
  // Returns false if the pair is already present (the earlier, lower rank wins).
  bool insert(int32_t a, int32_t b, int32_t rank, int32_t merged) {
    uint64_t k = key_of(a, b);
    for (uint64_t i = hash(k) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == kEmpty) {
        slots[i] = {k, rank, merged};
        return true;
      }
      if (slots[i].key == k) return false;
    }
  }
  const Slot* find(int32_t a, int32_t b) const {
    uint64_t k = key_of(a, b);
    for (uint64_t i = hash(k) & mask;; i = (i + 1) & mask) {
      if (slots[i].key == k) return &slots[i];
      if (slots[i].key == kEmpty) return nullptr;
    }
  }
};

BpeModel::~BpeModel() = default;

BpeModel::BpeModel(const std::array<int32_t, 256>& byte_ids, const std::vector<Merge>& merges,
                   StringIdTable whole_words, const Options& options)
    : options_(options),
      byte_ids_(byte_ids),
      merges_(std::make_unique<MergeTable>(merges.size())),
      whole_words_(std::move(whole_words)) {
  for (size_t r = 0; r < merges.size(); ++r) {
    merges_->insert(merges[r].left, merges[r].right, static_cast<int32_t>(r), merges[r].merged);
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (whole_words_.size() > 0) {
    if (std::optional<int32_t> id = whole_words_.find(word)) {
      out->push_back(*id);
      return;
    }
  }
  if (word.size() == 1) {
    int32_t id = byte_ids_[static_cast<unsigned char>(word[0])];
    if (id >= 0) out->push_back(id);
    return;
  }
  if (options_.cache_max_bytes == 0 || word.size() > options_.cache_max_bytes) {
    merge_word(word, out);
    return;
  }
  size_t h = StringHash{}(word);
  CacheShard& shard = cache_[(h >> 7) % kCacheShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(word);
    if (it != shard.map.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t before = out->size();
  merge_word(word, out);
  std::vector<int32_t> ids(out->begin() + static_cast<std::ptrdiff_t>(before), out->end());
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.map.size() >= options_.cache_capacity / kCacheShards) shard.map.clear();
  shard.map.emplace(std::string(word), std::move(ids));
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>* out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    int32_t rank;
    int32_t left;   // symbol index
    int32_t right;  // symbol index
    int32_t left_id;
    int32_t right_id;
    int32_t merged;
  };
  // Lowest rank first; among equal ranks the leftmost.
  auto worse = [](const Candidate& x, const Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.left > y.left;
  };

  std::vector<Symbol> syms;
  syms.reserve(word.size());
  for (unsigned char c : word) {
    int32_t id = byte_ids_[c];
    if (id < 0) continue;
    int32_t i = static_cast<int32_t>(syms.size());
    syms.push_back({id, i - 1, -1});
    if (i > 0) syms[i - 1].next = i;
  }
  if (syms.empty()) return;

  std::vector<Candidate> heap;
  heap.reserve(syms.size());
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const MergeTable::Slot* s = merges_->find(syms[left].id, syms[right].id);
    if (s == nullptr) return;
    heap.push_back({s->rank, left, right, syms[left].id, syms[right].id, s->merged});
    std::push_heap(heap.begin(), heap.end(), worse);
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) try_add(i, i + 1);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    Candidate c = heap.back();
    heap.pop_back();
    Symbol& l = syms[c.left];
    if (l.id != c.left_id || l.next != c.right || syms[c.right].id != c.right_id) continue;  // stale
    Symbol& r = syms[c.right];
    l.id = c.merged;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = c.left;
    r.id = -1;
    try_add(l.prev, c.left);
    try_add(c.left, l.next);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) out->push_back(syms[i].id);
}

}  // namespace mms::tokenizer
