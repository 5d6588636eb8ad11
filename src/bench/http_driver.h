// Sends planned requests to one endpoint over HTTP/1.1 (keep-alive connection pool) and measures every
// streamed response. All I/O runs on one io thread with C++20 coroutines (Boost.Beast/Asio, kept inside
// http_driver.cc), so thousands of concurrent streams cost no threads. Functions block the caller until
// done; each call owns its own io context, so distinct calls may run on distinct threads.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "bench/endpoint.h"
#include "bench/request_record.h"
#include "common/status.h"

namespace mms::bench {

struct DriverOptions {
  // 0: open loop, each request sent at its send_at_s whether or not earlier ones finished.
  // N > 0: closed loop, N requests in flight, the next sent when one finishes.
  int concurrency = 0;
  double max_duration_s = 600;     // no request starts after this; in-flight ones are cut at it
  double request_timeout_s = 300;  // per request, from send to last byte
  std::string api_key;             // "Authorization: Bearer ..." when non-empty
  // Polled every 20 ms; when it reads true, nothing more is sent and in-flight requests are cut
  // (their partial timings are kept, marked with an error). May be null.
  const std::atomic<bool>* stop = nullptr;
  // Called on the io thread after each request ends (progress display). May be empty.
  std::function<void(const RequestRecord&)> on_finished;
};

// Runs `plan` against `ep`. Returns one record per request that was started, in plan order (requests
// never started because of `stop` or the duration bound are left out).
std::vector<RequestRecord> run_requests(const Endpoint& ep, const std::vector<PlannedRequest>& plan,
                                        const DriverOptions& opts);

struct HttpAnswer {
  int status = 0;
  std::string body;
};
// One blocking request (GET when `body` is empty, else POST with a JSON body). Unavailable when the
// connection fails or times out.
StatusOr<HttpAnswer> http_call(const Endpoint& ep, const std::string& path, const std::string& body,
                               double timeout_s, const std::string& api_key = "");

}  // namespace mms::bench
