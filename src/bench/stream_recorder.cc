// Per-request measurement from SSE events.
#include "bench/stream_recorder.h"

#include "api/stream.h"

namespace mms::bench {

double RequestRecord::tpot() const {
  if (output_tokens < 2 || chunk_times_s.size() < 2) return 0;
  return (chunk_times_s.back() - chunk_times_s.front()) / static_cast<double>(output_tokens - 1);
}

std::vector<double> RequestRecord::gaps() const {
  std::vector<double> g;
  for (size_t i = 1; i < chunk_times_s.size(); ++i) g.push_back(chunk_times_s[i] - chunk_times_s[i - 1]);
  return g;
}

void StreamRecorder::on_bytes(std::string_view bytes, double now_s) {
  events_.clear();
  parser_.feed(bytes, events_);
  for (const SseEvent& ev : events_) on_event(ev, now_s);
}

void StreamRecorder::on_event(const SseEvent& ev, double now_s) {
  if (ev.data == "[DONE]") {
    saw_done_ = true;
    return;
  }
  auto chunk = api::parse_stream_chunk(ev.data);
  if (!chunk.ok()) {
    if (rec_.error.empty()) rec_.error = "unparsable event: " + chunk.status().message();
    return;
  }
  if (chunk->error || ev.event == "error") {
    if (rec_.error.empty()) rec_.error = chunk->error ? "server error: " + chunk->error->message : ev.data;
    return;
  }
  bool has_text = false;
  for (const api::ChunkChoice& c : chunk->choices) {
    if (!c.content.empty() || !c.reasoning_content.empty()) has_text = true;
    if (c.finish_reason) rec_.finish_reason = *c.finish_reason;
  }
  if (has_text) {
    if (rec_.first_token_s < 0) rec_.first_token_s = now_s;
    rec_.chunk_times_s.push_back(now_s);
    ++rec_.chunks;
  }
  if (chunk->usage) {
    rec_.usage_reported = true;
    rec_.output_tokens = chunk->usage->completion_tokens;
    rec_.prompt_tokens_reported = chunk->usage->prompt_tokens;
  }
}

void StreamRecorder::finish(double now_s, std::string_view transport_error) {
  events_.clear();
  parser_.finish(events_);
  for (const SseEvent& ev : events_) on_event(ev, now_s);
  rec_.end_s = now_s;
  if (!rec_.usage_reported) rec_.output_tokens = rec_.chunks;
  if (!transport_error.empty() && rec_.error.empty()) rec_.error = std::string(transport_error);
  if (rec_.error.empty() && !saw_done_ && rec_.finish_reason.empty()) rec_.error = "stream ended early";
  if (rec_.error.empty() && rec_.chunks == 0) rec_.error = "no output tokens";
  rec_.ok = rec_.error.empty();
}

void StreamRecorder::record_http_error(RequestRecord& rec, int status, std::string_view body, double now_s) {
  rec.http_status = status;
  rec.end_s = now_s;
  rec.ok = false;
  auto chunk = api::parse_stream_chunk(body);
  std::string msg = chunk.ok() && chunk->error ? chunk->error->message : std::string(body.substr(0, 200));
  rec.error = "HTTP " + std::to_string(status) + ": " + msg;
}

}  // namespace mms::bench
