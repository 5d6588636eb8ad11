// Turns a Trace into the HTTP requests the driver sends: chat (text + image_url data URLs) or plain
// completions bodies with max_tokens / ignore_eos / stream_options. Pure; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "bench/image_gen.h"
#include "bench/prompt_builder.h"
#include "bench/request_record.h"
#include "bench/trace.h"
#include "common/status.h"

namespace mms::bench {

struct WorkloadOptions {
  std::string api = "chat";  // "chat" (/v1/chat/completions) | "completions" (/v1/completions)
  std::string model;
  bool ignore_eos = true;       // force the output length (vLLM, llama.cpp, SGLang accept it)
  bool include_usage = true;    // stream_options.include_usage
  ImageFormat image_format = ImageFormat::kJpeg;
  uint64_t seed = 0;
};

// One PlannedRequest per trace request, send_at_s = arrival_s. InvalidArgument for images with the
// completions API.
StatusOr<std::vector<PlannedRequest>> build_plan(const Trace& trace, const PromptBuilder& prompts,
                                                 const WorkloadOptions& opts);

}  // namespace mms::bench
