// Incremental Server-Sent Events parser (WHATWG rules): bytes may be split anywhere, lines end in \n,
// \r\n or \r, multi-line `data:` fields are joined with \n, comments (":...") are skipped. One parser per
// HTTP response; not thread-safe. Used by bench's HTTP client on every body fragment it reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mms::bench {

struct SseEvent {
  std::string event;  // "" means the default type ("message")
  std::string data;
  std::string id;
};

class SseParser {
 public:
  // Appends every event completed by `bytes` to `out`.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // End of stream: a final line without terminator and an event without its blank line are still
  // delivered (servers do omit the last blank line).
  void finish(std::vector<SseEvent>& out);
  // Bytes buffered in an unfinished line.
  size_t pending_bytes() const { return line_.size(); }

 private:
  void process_line(std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  std::string line_;
  bool skip_lf_ = false;  // previous byte was \r: a following \n belongs to the same line end
  std::string data_;
  std::string event_;
  std::string id_;
  bool has_data_ = false;
};

}  // namespace mms::bench
