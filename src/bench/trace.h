// Workload traces: one TraceRequest per request (arrival time, lengths, shared-prefix blocks, images),
// the readers for the public trace formats, and time scaling / windowing. Value types, thread-compatible.
// Readers return InvalidArgument naming the file and line on malformed input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mms::bench {

struct ImageSize {
  int32_t width = 0;
  int32_t height = 0;
};

struct TraceRequest {
  double arrival_s = 0;                 // from the trace start
  int64_t input_tokens = 0;             // text tokens of the prompt
  int64_t output_tokens = 0;            // tokens to generate
  std::vector<int64_t> prefix_blocks;   // Mooncake hash ids: equal ids = equal 512-token prompt blocks
  std::vector<ImageSize> images;
};

struct Trace {
  std::string source;  // "azure:<path>", "synthetic poisson ...", ...
  std::vector<TraceRequest> requests;  // sorted by arrival_s
};

inline constexpr int64_t kMooncakeBlockTokens = 512;

// Azure LLM inference trace CSV: TIMESTAMP,ContextTokens,GeneratedTokens (timestamps as
// "2023-11-16 18:15:46.6805900"); arrivals relative to the first row.
StatusOr<Trace> read_azure_csv(const std::string& path);
// Mooncake JSONL: {"timestamp": ms, "input_length", "output_length", "hash_ids": [...]}.
StatusOr<Trace> read_mooncake_jsonl(const std::string& path);
// BurstGPT CSV with header columns Timestamp, Model, Request tokens, Response tokens, Total tokens,
// Log Type (found by name, any order). Rows with zero response tokens (failed requests) are kept with 1.
StatusOr<Trace> read_burstgpt_csv(const std::string& path);

// Keeps requests with start_s <= arrival < start_s + duration_s (duration_s <= 0: to the end) and
// rebases them so the first kept window starts at 0.
Trace window_trace(const Trace& t, double start_s, double duration_s);
// Divides every arrival time by `rate_scale` (2 = twice the request rate).
void scale_trace_time(Trace& t, double rate_scale);
// Keeps the first `max_requests`.
void truncate_trace(Trace& t, size_t max_requests);
// Requests per second over the span of arrivals (0 for fewer than two requests).
double trace_rate(const Trace& t);

}  // namespace mms::bench
