// `mmserve bench` as a library call: builds the workload (trace or synthetic), calibrates prompt lengths
// against /tokenize, runs it against one or two targets (sequentially or interleaved in time slices),
// optionally searches for goodput, and writes the report. Blocks; one call at a time per process (the
// stop flag is shared). Used by tools/bench.cc and the end-to-end tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/report.h"
#include "common/status.h"

namespace mms::bench {

struct BenchOptions {
  std::string target;                  // base URL, e.g. http://127.0.0.1:8000
  std::string compare;                 // optional second base URL
  std::string compare_mode = "sequential";  // "sequential" | "interleaved"
  double slice_s = 10;                 // interleaved: trace seconds per slice
  bool allow_remote = false;           // else only loopback targets
  std::string api = "chat";            // "chat" | "completions"
  std::string model;
  std::string api_key;

  // Workload.
  std::string trace = "synthetic";     // synthetic | azure | mooncake | burstgpt | servegen
  std::string trace_path;              // file (servegen: directory)
  std::vector<int> servegen_clients;   // empty: all
  double window_start_s = 0;
  double window_duration_s = 0;        // 0: to the end (servegen: 600)
  double rate_scale = 1;               // >1 compresses trace time
  std::string arrival = "poisson";     // synthetic: poisson | gamma
  double rate = 4;                     // synthetic requests/s
  double cv = 1;                       // synthetic gamma CV
  int concurrency = 0;                 // >0: closed loop
  int64_t num_requests = 100;
  int64_t input_tokens = 256;          // synthetic
  int64_t output_tokens = 128;         // synthetic
  int images_per_request = 0;          // synthetic
  std::string image_size = "448x448";  // synthetic
  std::string image_format = "jpeg";
  std::string corpus_path;             // prompt words; empty: built-in
  bool tokenize = true;                // calibrate with the target's /tokenize
  bool ignore_eos = true;
  uint64_t seed = 0;

  // Measurement.
  std::string slo;                     // "ttft=2s,tpot=100ms"
  bool goodput = false;
  double goodput_min_rate = 0.5;
  double goodput_max_rate = 32;
  int goodput_steps = 6;
  int64_t goodput_requests = 100;      // per probed rate

  // Safety bounds.
  int64_t max_requests = 10000;        // hard cap on requests per run
  double max_duration_s = 1800;        // per run (each system, each goodput probe)
  double request_timeout_s = 600;

  std::string out_dir = "bench-out";
  bool progress = true;
  const std::atomic<bool>* stop = nullptr;  // Ctrl-C: finish with what was measured
};

// Runs the bench and writes the report to opts.out_dir. Errors: bad options (InvalidArgument), a remote
// target without allow_remote (InvalidArgument), unreadable traces, unwritable output.
StatusOr<BenchReport> run_bench(const BenchOptions& opts);

}  // namespace mms::bench
