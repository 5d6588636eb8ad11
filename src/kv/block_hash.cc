#include "kv/block_hash.h"

#include <cstring>

#include "common/check.h"

namespace mms {

BlockHash root_block_hash() {
  static const BlockHash root = [] {
    static constexpr char kSeed[] = "mmserve/kv/root-block";
    return hash128(kSeed, sizeof(kSeed) - 1);
  }();
  return root;
}

BlockHash hash_block_tokens(const BlockHash& parent, std::span<const int32_t> tokens,
                            std::span<const Hash128> extra_keys) {
  // Layout: parent | num_tokens | tokens | num_extra | extra keys. Counts keep the encoding unambiguous.
  const uint64_t num_tokens = tokens.size();
  const uint64_t num_extra = extra_keys.size();
  std::vector<uint8_t> buf(sizeof(parent) + 8 + tokens.size_bytes() + 8 + extra_keys.size_bytes());
  uint8_t* p = buf.data();
  auto put = [&p](const void* src, size_t n) {
    if (n != 0) std::memcpy(p, src, n);
    p += n;
  };
  put(&parent.lo, 8);
  put(&parent.hi, 8);
  put(&num_tokens, 8);
  put(tokens.data(), tokens.size_bytes());
  put(&num_extra, 8);
  for (const Hash128& k : extra_keys) {
    put(&k.lo, 8);
    put(&k.hi, 8);
  }
  return hash128(buf.data(), buf.size());
}

int64_t extend_block_hashes(std::vector<BlockHash>& hashes, std::span<const int32_t> token_ids,
                            int32_t block_size, const ExtraKeysFn& extra_keys) {
  MMS_CHECK(block_size > 0);
  const int64_t num_full = static_cast<int64_t>(token_ids.size()) / block_size;
  int64_t added = 0;
  for (int64_t i = static_cast<int64_t>(hashes.size()); i < num_full; ++i) {
    const BlockHash parent = i == 0 ? root_block_hash() : hashes[static_cast<size_t>(i - 1)];
    const int64_t start = i * block_size;
    auto tokens = token_ids.subspan(static_cast<size_t>(start), static_cast<size_t>(block_size));
    std::vector<Hash128> extra;
    if (extra_keys) extra = extra_keys(start, start + block_size);
    hashes.push_back(hash_block_tokens(parent, tokens, extra));
    ++added;
  }
  return added;
}

}  // namespace mms
