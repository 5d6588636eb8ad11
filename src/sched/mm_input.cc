#include "sched/mm_input.h"

#include <string>

namespace mms {

Status validate_mm_inputs(std::span<const MmInputRef> inputs, int64_t num_prompt_tokens) {
  int64_t end = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const MmInputRef& m = inputs[i];
    if (m.num_tokens <= 0) return invalid_argument("media item " + std::to_string(i) + " has no tokens");
    if (m.offset < end) {
      return invalid_argument("media item " + std::to_string(i) + " overlaps the previous one or is out of order");
    }
    end = m.offset + m.num_tokens;
    if (end > num_prompt_tokens) {
      return invalid_argument("media item " + std::to_string(i) + " extends past the prompt's end");
    }
  }
  return ok_status();
}

ExtraKeysFn mm_extra_keys(std::vector<MmInputRef> inputs) {
  if (inputs.empty()) return nullptr;
  return [inputs = std::move(inputs)](int64_t start, int64_t end) {
    std::vector<Hash128> keys;
    for (const MmInputRef& m : inputs) {
      if (m.offset >= end) break;
      if (m.offset + m.num_tokens <= start) continue;
      const int64_t key[3] = {static_cast<int64_t>(m.hash.lo), static_cast<int64_t>(m.hash.hi), start - m.offset};
      keys.push_back(hash128(key, sizeof(key)));
    }
    return keys;
  };
}

}  // namespace mms
