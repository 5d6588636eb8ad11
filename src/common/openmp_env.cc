#include "common/openmp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace mms {

void ensure_openmp_wait_policy(char** argv, const char* spin_count) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("GOMP_SPINCOUNT", spin_count, 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // execv only returns on failure: carry on with the runtime's defaults.
}

}  // namespace mms
