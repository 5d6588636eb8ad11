#include "model/tokenizer/string_id_table.h"

#include <functional>

namespace mms::tokenizer {
namespace {

uint32_t hash_of(std::string_view s) {
  uint64_t h = std::hash<std::string_view>{}(s);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace

void StringIdTable::reserve(size_t n) {
  offsets_.reserve(n + 1);
  ids_.reserve(n);
  if (slots_.size() < n * 2) rehash(n * 2);
}

void StringIdTable::rehash(size_t capacity) {
  size_t cap = 16;
  while (cap < capacity) cap <<= 1;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{});
  const size_t mask = cap - 1;
  for (const Slot& s : old) {
    if (s.entry < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].entry >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool StringIdTable::insert(std::string_view k, int32_t id) {
  if ((ids_.size() + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
  const uint32_t h = hash_of(k);
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  for (; slots_[i].entry >= 0; i = (i + 1) & mask) {
    if (slots_[i].hash == h && key(slots_[i].entry) == k) return false;
  }
  slots_[i] = {h, static_cast<int32_t>(ids_.size())};
  arena_.append(k);
  offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  ids_.push_back(id);
  return true;
}

std::optional<int32_t> StringIdTable::find(std::string_view k) const {
  if (slots_.empty()) return std::nullopt;
  const uint32_t h = hash_of(k);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].entry >= 0; i = (i + 1) & mask) {
    if (slots_[i].hash == h && key(slots_[i].entry) == k) return ids_[slots_[i].entry];
  }
  return std::nullopt;
}

}  // namespace mms::tokenizer
