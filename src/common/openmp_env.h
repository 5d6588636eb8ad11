// OpenMP runtime settings that must be in the environment before libgomp initializes (it reads them
// when the library loads, before main). GOMP's default is to spin ~300k iterations at every barrier,
// which on a 2-core machine shared with HTTP, preprocessing or other processes turns every descheduled
// worker into lost time slices (measured: an engine test took 21 s spinning vs 1.3 s passive under load).
// Call first thing in main(); not thread-safe.
#pragma once

namespace mms {

// If neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets GOMP_SPINCOUNT to `spin_count` and re-executes
// the program (/proc/self/exe) with the same arguments so the runtime sees it. Returns normally when the
// variables were already set or re-execution is impossible (then the runtime keeps its defaults).
void ensure_openmp_wait_policy(char** argv, const char* spin_count = "50000");

}  // namespace mms
