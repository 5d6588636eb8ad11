// StringIdTable: a compact hash table from strings to token ids (open addressing, keys packed in one
// arena), for vocabularies of ~150k entries where a node-based map costs a third of the load time.
// Not thread-safe while being filled; immutable and thread-safe for find() afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mms::tokenizer {

class StringIdTable {
 public:
  void reserve(size_t n);
  // Adds key -> id unless the key is present already (the first id stays). Returns whether it was added.
  bool insert(std::string_view key, int32_t id);
  std::optional<int32_t> find(std::string_view key) const;
  size_t size() const { return ids_.size(); }

 private:
  struct Slot {
    uint32_t hash = 0;
    int32_t entry = -1;  // index into ids_/offsets_, -1 = empty
  };
  std::string_view key(int32_t entry) const {
    return std::string_view(arena_).substr(offsets_[entry], offsets_[entry + 1] - offsets_[entry]);
  }
  void rehash(size_t capacity);

  std::vector<Slot> slots_;
  std::string arena_;
  std::vector<uint32_t> offsets_ = {0};
  std::vector<int32_t> ids_;
};

}  // namespace mms::tokenizer
