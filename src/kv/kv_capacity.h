// Turning a configured KV budget (--kv-cache-memory) into a number of blocks. Pure functions;
// thread-safe. Called once at start-up by the engine.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace mms {

// Parses "4GiB", "512MB", "1.5G", "1073741824" (bytes) or a fraction of total RAM such as "0.5" (a plain
// number in (0, 1]) into bytes. Units: B; KB/MB/GB/TB decimal (1000^k); KiB/MiB/GiB/TiB and K/M/G/T
// binary (1024^k); case-insensitive. Returns InvalidArgument naming the text on anything else.
StatusOr<int64_t> parse_memory_size(std::string_view text, int64_t total_ram_bytes);

// Whole blocks that fit in `bytes`, given one token's K+V bytes over all layers (0 if none fit).
int64_t num_blocks_for_bytes(int64_t bytes, int64_t bytes_per_token, int32_t block_size);

}  // namespace mms
