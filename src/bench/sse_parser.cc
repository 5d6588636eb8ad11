// SSE line splitting and field handling.
#include "bench/sse_parser.h"

namespace mms::bench {

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  for (char c : bytes) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      skip_lf_ = true;
      process_line(out);
    } else if (c == '\n') {
      process_line(out);
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (!line_.empty()) process_line(out);
  dispatch(out);
  skip_lf_ = false;
}

void SseParser::process_line(std::vector<SseEvent>& out) {
  if (line_.empty()) {
    dispatch(out);
    return;
  }
  if (line_[0] == ':') {  // comment / keep-alive
    line_.clear();
    return;
  }
  std::string_view line(line_);
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    id_.assign(value);
  }  // "retry" and unknown fields are ignored
  line_.clear();
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (has_data_) {
    if (!data_.empty() && data_.back() == '\n') data_.pop_back();
    out.push_back(SseEvent{std::move(event_), std::move(data_), id_});
  }
  data_.clear();
  event_.clear();
  has_data_ = false;
}

}  // namespace mms::bench
