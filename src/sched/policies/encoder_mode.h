// How vision-encoder work is scheduled relative to the language model's steps.
#pragma once

namespace mms {

enum class EncoderMode {
  kAsync,   // encoder jobs on their own queue, metered between steps; prefill waits for embeddings
  kInline,  // encode a whole item inside the step that first needs it (today's engines' behaviour)
};

// "async" | "inline"; false when unknown.
bool parse_encoder_mode(const char* name, EncoderMode* mode);
const char* encoder_mode_name(EncoderMode mode);

}  // namespace mms
