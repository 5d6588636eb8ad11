// BpeModel: byte-level BPE over raw bytes. Holds the single-byte token ids and the merge table ((left id, right id) -> rank, merged id), and merges one pre-token at a time with a priority
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

#include "model/tokenizer/string_id_table.h"

namespace mms::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class BpeModel {
 public:
  struct Options {
    // Cache pre-tokens up to this many bytes; 0 disables the cache.
    size_t cache_max_bytes = 48;
    size_t cache_capacity = 1 << 16;
  };
  struct Merge {
    int32_t left;
    int32_t right;
    int32_t merged;
  };

  // `byte_ids`: the id of each single-byte token, -1 where the vocabulary has none (such bytes are dropped
  // when encoding: no byte fallback). `merges` in rank order; a repeated pair keeps its first rank.
  // `whole_words`, when non-empty, maps raw bytes to ids of tokens emitted whole without merging
  // (tokenizer.json "ignore_merges", Llama 3).
  BpeModel(const std::array<int32_t, 256>& byte_ids, const std::vector<Merge>& merges,
           StringIdTable whole_words, const Options& options);
  ~BpeModel();

  // Appends the ids of one pre-token (raw bytes).
  void encode_word(std::string_view word, std::vector<int32_t>* out) const;

 private:
  struct MergeTable;
  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map;
  };
  static constexpr size_t kCacheShards = 16;

  void merge_word(std::string_view word, std::vector<int32_t>* out) const;

  Options options_;
  std::array<int32_t, 256> byte_ids_{};
  std::unique_ptr<MergeTable> merges_;
  StringIdTable whole_words_;
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace mms::tokenizer
