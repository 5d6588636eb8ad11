// StreamingDecoder (declared in tokenizer.h): holds back an incomplete UTF-8 tail between feeds.
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/tokenizer.h"

namespace mms {

std::string StreamingDecoder::feed(int32_t id) {
  if (skip_special_ && tokenizer_.is_special(id)) return {};
  pending_ += tokenizer_.token_bytes(id);
  std::string out;
  size_t consumed = tokenizer::append_valid_utf8(pending_, /*final=*/false, &out);
  pending_.erase(0, consumed);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out;
  tokenizer::append_valid_utf8(pending_, /*final=*/true, &out);
  pending_.clear();
  return out;
}

}  // namespace mms
