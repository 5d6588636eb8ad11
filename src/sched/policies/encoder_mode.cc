#include "sched/policies/encoder_mode.h"

#include <cstring>

namespace mms {

bool parse_encoder_mode(const char* name, EncoderMode* mode) {
  if (std::strcmp(name, "async") == 0) {
    *mode = EncoderMode::kAsync;
    return true;
  }
  if (std::strcmp(name, "inline") == 0) {
    *mode = EncoderMode::kInline;
    return true;
  }
  return false;
}

const char* encoder_mode_name(EncoderMode mode) {
  switch (mode) {
    case EncoderMode::kAsync: return "async";
    case EncoderMode::kInline: return "inline";
  }
  return "?";
}

}  // namespace mms
