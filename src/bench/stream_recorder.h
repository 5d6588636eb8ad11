// Turns one response's SSE events into a RequestRecord: timestamps output chunks, reads usage,
// finish_reason and error events. One per request; not thread-safe. Used by the HTTP driver.
#pragma once

#include <string_view>

#include "bench/request_record.h"
#include "bench/sse_parser.h"

namespace mms::bench {

class StreamRecorder {
 public:
  explicit StreamRecorder(RequestRecord& rec) : rec_(rec) {}

  // A body fragment of a 200 response arrived at `now_s`.
  void on_bytes(std::string_view bytes, double now_s);
  // One parsed event (exposed for tests).
  void on_event(const SseEvent& ev, double now_s);
  // The body ended at `now_s` (cleanly or not: `transport_error` non-empty when the connection failed).
  void finish(double now_s, std::string_view transport_error);
  // A non-200 answer: `body` is the error body.
  static void record_http_error(RequestRecord& rec, int status, std::string_view body, double now_s);

  bool saw_done() const { return saw_done_; }

 private:
  RequestRecord& rec_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  bool saw_done_ = false;
};

}  // namespace mms::bench
