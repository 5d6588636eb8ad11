#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

namespace mms {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
const char* level_tag(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "D";
    case LogLevel::kInfo: return "I";
    case LogLevel::kWarn: return "W";
    case LogLevel::kError: return "E";
  }
  return "?";
}
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void log_line(LogLevel level, std::string_view text) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::string line = fmt::format("[{} {}.{:03d}] {}\n", level_tag(level), ms / 1000, static_cast<int>(ms % 1000), text);
  // One write(2) per line keeps lines from different threads whole.
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

}  // namespace mms
