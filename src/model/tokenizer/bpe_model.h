// BpeModel: byte-level BPE over raw bytes. Holds the byte-string -> id vocabulary of ordinary tokens and the
// merge table ((left id, right id) -> rank, merged id), and merges one pre-token at a time with a priority
// queue over a linked list of symbols (O(n log n) per pre-token). A small sharded cache remembers the ids of
// frequent pre-tokens. Immutable after build (the cache is internally locked); thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace mms::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  struct Options {
    // If the whole pre-token is a vocabulary entry, emit it without merging (tokenizer.json
    // "ignore_merges", Llama 3).
    bool ignore_merges = false;
    // Cache pre-tokens up to this many bytes; 0 disables the cache.
    size_t cache_max_bytes = 48;
    size_t cache_capacity = 1 << 16;
  };

  // `vocab` maps raw bytes to ids (ordinary tokens only); `merges` are pairs of raw byte strings in rank
  // order. Merges whose parts or result are not in the vocabulary are an InvalidArgument error naming
  // the merge. A byte missing from the vocabulary is dropped when encoding (no byte fallback).
  static StatusOr<std::unique_ptr<BpeModel>> build(
      StringIdMap vocab, const std::vector<std::pair<std::string, std::string>>& merges,
      const Options& options);
  ~BpeModel();

  // Appends the ids of one pre-token (raw bytes).
  void encode_word(std::string_view word, std::vector<int32_t>* out) const;

  std::optional<int32_t> find(std::string_view bytes) const;

 private:
  struct MergeTable;
  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map;
  };
  static constexpr size_t kCacheShards = 16;

  BpeModel() = default;
  void merge_word(std::string_view word, std::vector<int32_t>* out) const;

  Options options_;
  StringIdMap vocab_;
  std::array<int32_t, 256> byte_ids_{};
  std::unique_ptr<MergeTable> merges_;
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace mms::tokenizer
