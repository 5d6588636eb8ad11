// Request bodies from trace requests.
#include "bench/workload.h"

#include "api/chat.h"

namespace mms::bench {

StatusOr<std::vector<PlannedRequest>> build_plan(const Trace& trace, const PromptBuilder& prompts,
                                                 const WorkloadOptions& opts) {
  const bool chat = opts.api == "chat";
  if (!chat && opts.api != "completions") return invalid_argument("api must be chat or completions");
  std::vector<PlannedRequest> plan;
  plan.reserve(trace.requests.size());
  for (size_t i = 0; i < trace.requests.size(); ++i) {
    const TraceRequest& tr = trace.requests[i];
    PlannedRequest p;
    p.index = static_cast<int64_t>(i);
    p.send_at_s = tr.arrival_s;
    p.prompt_tokens = tr.input_tokens;
    p.max_tokens = std::max<int64_t>(tr.output_tokens, 1);
    p.num_images = static_cast<int32_t>(tr.images.size());
    std::string prompt = prompts.prompt_for(tr, p.index);
    api::SamplingFields f;
    f.model = opts.model;
    f.max_tokens = p.max_tokens;
    f.temperature = 0.0;
    f.stream = true;
    f.include_usage = opts.include_usage;
    if (opts.ignore_eos) f.ignore_eos = true;
    if (chat) {
      api::ChatRequest r;
      static_cast<api::SamplingFields&>(r) = f;
      api::ChatMessage m{"user", {}};
      for (size_t k = 0; k < tr.images.size(); ++k) {
        const ImageSize& s = tr.images[k];
        MMS_ASSIGN_OR_RETURN(std::string url, image_data_url(s, opts.image_format, opts.seed * 1000003 + i * 31 + k));
        m.content.push_back(api::ContentPart::make_image(std::move(url)));
        p.image_tokens += qwen25vl_image_tokens(s.width, s.height);
      }
      m.content.push_back(api::ContentPart::make_text(std::move(prompt)));
      r.messages.push_back(std::move(m));
      p.path = "/v1/chat/completions";
      p.body = api::to_json(r);
    } else {
      if (!tr.images.empty()) return invalid_argument("images need --api chat");
      api::CompletionRequest r;
      static_cast<api::SamplingFields&>(r) = f;
      r.prompt = std::move(prompt);
      p.path = "/v1/completions";
      p.body = api::to_json(r);
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

}  // namespace mms::bench
