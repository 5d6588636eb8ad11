#include "common/hash.h"

#include <xxhash.h>

#include <fmt/core.h>

namespace mms {

uint64_t hash64(const void* data, size_t size, uint64_t seed) { return XXH3_64bits_withSeed(data, size, seed); }

Hash128 hash128(const void* data, size_t size, uint64_t seed) {
  XXH128_hash_t h = XXH3_128bits_withSeed(data, size, seed);
  return Hash128{h.low64, h.high64};
}

std::string Hash128::to_hex() const { return fmt::format("{:016x}{:016x}", hi, lo); }

}  // namespace mms
