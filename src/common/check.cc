#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace mms::detail {

void check_failed(const char* file, int line, const char* cond, const char* msg) {
  std::fprintf(stderr, "MMS_CHECK failed at %s:%d: %s %s\n", file, line, cond, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace mms::detail
