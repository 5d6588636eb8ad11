// MMS_CHECK: invariant checks that abort with a message (bugs, not bad input; bad input gets a Status).
#pragma once

namespace mms::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const char* msg);
}  // namespace mms::detail

#define MMS_CHECK(cond)                                                        \
  do {                                                                         \
    if (!(cond)) ::mms::detail::check_failed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define MMS_CHECK_MSG(cond, msg)                                                \
  do {                                                                          \
    if (!(cond)) ::mms::detail::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
