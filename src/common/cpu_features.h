// CPU feature detection for runtime kernel dispatch. Thread-safe (computed once).
#pragma once

#include <string>

namespace mms {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_bf16 = false;
  bool amx_tile = false;
  bool amx_bf16 = false;
  // True once the OS granted this process AMX tile state (arch_prctl); false without AMX.
  bool amx_usable = false;

  bool has_avx2_fma() const { return avx2 && fma && f16c; }
  bool has_avx512() const { return avx512f && avx512bw && avx512vl; }
  std::string to_string() const;
};

// Detected once; on first call also requests AMX permission from the kernel when AMX is present.
const CpuFeatures& cpu_features();

}  // namespace mms
