// Content hashing (XXH3): 64-bit for hash tables, 128-bit for content keys (prefix blocks, media).
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mms {

struct Hash128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Hash128&) const = default;
  std::string to_hex() const;
};

uint64_t hash64(const void* data, size_t size, uint64_t seed = 0);
Hash128 hash128(const void* data, size_t size, uint64_t seed = 0);

}  // namespace mms
