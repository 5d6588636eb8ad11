// OutputProcessor: turns one request's engine outputs into text deltas: incremental detokenization,
// stop strings (found in the text, never leaked into the output, text that might begin a stop string held
// back until it cannot), logprob entries, the finish reason. One per request; not thread-safe (runs on
// the request's io strand).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/async_engine.h"
#include "model/tokenizer/tokenizer.h"

namespace mms::server {

struct LogprobEntry {
  std::string token;  // the token's text (raw bytes, may be a partial UTF-8 sequence)
  int32_t token_id = 0;
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;
};

struct OutputDelta {
  std::string text;                          // new text safe to send
  std::vector<LogprobEntry> logprobs;        // one per token consumed by this delta
  std::optional<std::string> finish_reason;  // "stop" | "length" | "abort" on the last delta
  std::optional<std::string> stop_string;    // the stop string that ended the request
  std::optional<int32_t> stop_token;         // the stop token id that ended it
  int64_t num_new_tokens = 0;
};

class OutputProcessor {
 public:
  // tokenizer may be null (then the text is the ids, space separated).
  OutputProcessor(const Tokenizer* tokenizer, std::vector<std::string> stop, bool skip_special,
                  bool include_stop_str);
  // Consumes one engine output. After a delta with finish_reason set, further outputs are ignored (the
  // caller aborts the engine request when a stop string ended it: finished() && !engine_finished).
  OutputDelta process(const RequestOutput& out);
  bool finished() const { return finished_; }
  bool stopped_by_string() const { return stopped_by_string_; }
  int64_t num_output_tokens() const { return num_tokens_; }

 private:
  std::string token_text(int32_t id) const;
  // Emits text_[emitted_, end) where end keeps back a suffix that could start a stop string (unless
  // final). Returns true when a stop string was found (then finished_).
  bool take_text(std::string& into, bool final);

  const Tokenizer* tokenizer_;
  std::unique_ptr<StreamingDecoder> decoder_;
  std::vector<std::string> stop_;
  bool include_stop_str_;
  std::string text_;      // all decoded text
  size_t emitted_ = 0;    // bytes of text_ already sent
  size_t scan_from_ = 0;  // stop strings cannot start before this
  int64_t num_tokens_ = 0;
  bool finished_ = false;
  bool stopped_by_string_ = false;
  std::string stop_hit_;
};

}  // namespace mms::server
