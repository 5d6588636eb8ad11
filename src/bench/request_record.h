// What the bench sends (PlannedRequest) and what it measured for one request (RequestRecord). Plain
// value types, thread-compatible. Times are seconds from the start of a run (steady clock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mms::bench {

struct PlannedRequest {
  int64_t index = 0;
  double send_at_s = 0;          // open loop: offset from run start; closed loop: ignored
  std::string path;              // e.g. "/v1/chat/completions"
  std::string body;              // JSON
  int64_t prompt_tokens = 0;     // intended text tokens (estimated or measured)
  int64_t image_tokens = 0;      // intended image tokens (Qwen2.5-VL rule)
  int64_t max_tokens = 0;        // intended output tokens
  int32_t num_images = 0;
};

struct RequestRecord {
  int64_t index = 0;
  double scheduled_s = 0;        // when it was due
  double start_s = -1;           // when its first byte was written
  double first_token_s = -1;     // first chunk carrying output text
  double end_s = -1;             // response complete (or failed)
  std::vector<double> chunk_times_s;  // every chunk carrying output text, in arrival order
  int64_t chunks = 0;            // == chunk_times_s.size()
  int64_t output_tokens = 0;     // usage.completion_tokens when reported, else `chunks`
  bool usage_reported = false;
  int64_t prompt_tokens_reported = 0;
  int64_t expected_prompt_tokens = 0;
  int64_t expected_output_tokens = 0;
  int32_t num_images = 0;
  int http_status = 0;
  bool ok = false;
  std::string error;             // empty when ok
  std::string finish_reason;

  double ttft() const { return first_token_s >= 0 ? first_token_s - start_s : -1; }
  double e2e() const { return end_s >= 0 ? end_s - start_s : -1; }
  // Mean time per output token after the first: (last chunk - first chunk) / (output_tokens - 1);
  // 0 with fewer than two tokens.
  double tpot() const;
  // Gaps between consecutive output chunks (inter-token latencies when one token per chunk).
  std::vector<double> gaps() const;
};

}  // namespace mms::bench
