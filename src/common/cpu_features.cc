#include "common/cpu_features.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mms {
namespace {

constexpr int kArchGetXcompPerm = 0x1022;
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

bool os_saves_ymm_zmm(bool want_zmm) {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (!(c & (1u << 27))) return false;  // OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  const bool ymm = (lo & 0x6) == 0x6;
  const bool zmm = (lo & 0xe6) == 0xe6;
  return want_zmm ? zmm : ymm;
}

bool request_amx() {
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return false;
  unsigned long bitmask = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &bitmask) != 0) return false;
  return (bitmask & (1ul << kXfeatureXtiledata)) != 0;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid(1, a, b, c, d);
  f.fma = (c & (1u << 12)) != 0;
  f.f16c = (c & (1u << 29)) != 0;
  const bool ymm = os_saves_ymm_zmm(false);
  const bool zmm = os_saves_ymm_zmm(true);
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = ymm && (b & (1u << 5)) != 0;
  f.avx512f = zmm && (b & (1u << 16)) != 0;
  f.avx512bw = zmm && (b & (1u << 30)) != 0;
  f.avx512vl = zmm && (b & (1u << 31)) != 0;
  f.amx_bf16 = (d & (1u << 22)) != 0;
  f.amx_tile = (d & (1u << 24)) != 0;
  if (!ymm) f.fma = f.f16c = false;
  __cpuid_count(7, 1, a, b, c, d);
  f.avx512_bf16 = zmm && (a & (1u << 5)) != 0;
  if (f.amx_tile && f.amx_bf16) f.amx_usable = request_amx();
  return f;
}

}  // namespace

std::string CpuFeatures::to_string() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512_bf16, "avx512_bf16");
  add(amx_bf16 && amx_tile, amx_usable ? "amx_bf16" : "amx_bf16(no-permission)");
  return s.empty() ? "baseline" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace mms
