#include "engine/async_engine_impl.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/log.h"

namespace mms {

namespace {

Status validate_sampling(const SamplingParams& p) {
  if (!(p.temperature >= 0.0)) return invalid_argument("temperature must be >= 0, got " + std::to_string(p.temperature));
  if (!(p.top_p > 0.0 && p.top_p <= 1.0)) return invalid_argument("top_p must be in (0, 1], got " + std::to_string(p.top_p));
  if (p.top_k < 0) return invalid_argument("top_k must be >= 0, got " + std::to_string(p.top_k));
  if (!(p.min_p >= 0.0 && p.min_p <= 1.0)) return invalid_argument("min_p must be in [0, 1], got " + std::to_string(p.min_p));
  if (!(p.repetition_penalty > 0.0)) {
    return invalid_argument("repetition_penalty must be > 0, got " + std::to_string(p.repetition_penalty));
  }
  if (p.logprobs && *p.logprobs < 0) return invalid_argument("logprobs must be >= 0, got " + std::to_string(*p.logprobs));
  return ok_status();
}

RequestOutput abort_output(const ReqId& id, int64_t num_prompt_tokens) {
  RequestOutput o;
  o.req_id = id;
  o.finish_reason = FinishReason::kAbort;
  o.num_prompt_tokens = num_prompt_tokens;
  return o;
}

}  // namespace

AsyncEngineImpl::AsyncEngineImpl(std::unique_ptr<EngineCore> core, const AsyncEngineConfig& config, const Clock& clock)
    : core_(std::move(core)), config_(config), clock_(clock) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.kv_capacity_tokens = config_.kv_capacity_tokens;
  }
  thread_ = std::thread([this] { run(); });
}

AsyncEngineImpl::~AsyncEngineImpl() { shutdown(0); }

Status AsyncEngineImpl::validate(const EngineRequest& r) const {
  if (r.req_id.empty()) return invalid_argument("request id is empty");
  const int64_t n = static_cast<int64_t>(r.prompt_token_ids.size());
  if (n == 0) return invalid_argument("request '" + r.req_id + "': the prompt is empty");
  for (int32_t t : r.prompt_token_ids) {
    if (t < 0 || t >= config_.vocab_size) {
      return invalid_argument("request '" + r.req_id + "': prompt token id " + std::to_string(t) +
                              " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
  if (r.stop.max_tokens < 1) {
    return invalid_argument("request '" + r.req_id + "': max_tokens must be at least 1, got " +
                            std::to_string(r.stop.max_tokens));
  }
  if (r.stop.min_tokens < 0) return invalid_argument("request '" + r.req_id + "': min_tokens must be >= 0");
  if (n + r.stop.max_tokens > config_.max_model_len) {
    return invalid_argument("request '" + r.req_id + "': prompt (" + std::to_string(n) + " tokens) + max_tokens (" +
                            std::to_string(r.stop.max_tokens) + ") = " + std::to_string(n + r.stop.max_tokens) +
                            " exceeds the maximum context length of " + std::to_string(config_.max_model_len) +
                            " tokens");
  }
  Status s = validate_sampling(r.sampling);
  if (!s.ok()) return invalid_argument("request '" + r.req_id + "': " + s.message());
  if (r.mm_inputs.size() != r.mm_items.size()) {
    return invalid_argument("request '" + r.req_id + "': media items and placeholders differ in number");
  }
  if (!r.mm_inputs.empty() && !config_.accepts_media) {
    return invalid_argument("request '" + r.req_id + "': this model does not accept images or video");
  }
  for (size_t i = 0; i < r.mm_inputs.size(); ++i) {  // the scheduler could never place it
    if (config_.encoder_cache_tokens > 0 && r.mm_inputs[i].num_tokens > config_.encoder_cache_tokens) {
      return invalid_argument("request '" + r.req_id + "': media item " + std::to_string(i) + " has " +
                              std::to_string(r.mm_inputs[i].num_tokens) + " embedding rows, more than the encoder " +
                              "cache holds (" + std::to_string(config_.encoder_cache_tokens) + ")");
    }
  }
  return validate_mm_inputs(r.mm_inputs, n);
}

Status AsyncEngineImpl::add_request(EngineRequest request, OutputCallback callback) {
  MMS_RETURN_IF_ERROR(validate(request));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) return Status(StatusCode::kUnavailable, "engine is shutting down");
    if (!live_ids_.insert(request.req_id).second) {
      return invalid_argument("request id '" + request.req_id + "' is already in use");
    }
    pending_.push_back(Pending{std::move(request), std::move(callback)});
    stats_.num_waiting += 1;
  }
  cv_.notify_one();
  return ok_status();
}

void AsyncEngineImpl::abort_request(const ReqId& req_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (live_ids_.count(req_id) == 0) return;
    pending_aborts_.push_back(req_id);
  }
  cv_.notify_one();
}

EngineStats AsyncEngineImpl::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void AsyncEngineImpl::shutdown(double drain_timeout_s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
    if (!stopping_) {
      stopping_ = true;
      drain_deadline_ns_ = clock_.now_ns() + static_cast<int64_t>(std::max(0.0, drain_timeout_s) * 1e9);
    }
  }
  cv_.notify_one();
  std::lock_guard<std::mutex> join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void AsyncEngineImpl::admit(std::vector<Pending>& pending) {
  for (Pending& p : pending) {
    EngineRequest& er = p.request;
    Request r(er.req_id, std::move(er.prompt_token_ids), std::move(er.stop), er.priority);
    r.sampling = er.sampling;
    r.mm_inputs = std::move(er.mm_inputs);
    const int64_t num_prompt = r.num_prompt_tokens();
    Status s = core_->add_request(std::move(r), std::move(er.mm_items));
    if (!s.ok()) {  // validated in add_request, so a bug or a race on ids: report as an abort
      log_error("engine: could not add request '{}': {}", er.req_id, s.to_string());
      {
        std::lock_guard<std::mutex> lock(mu_);
        live_ids_.erase(er.req_id);
      }
      p.callback(abort_output(er.req_id, num_prompt));
      continue;
    }
    live_.emplace(er.req_id, Live{std::move(p.callback), num_prompt});
  }
}

void AsyncEngineImpl::finish_aborted(const ReqId& id) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live live = std::move(it->second);
  live_.erase(it);
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ids_.erase(id);
  }
  live.callback(abort_output(id, live.num_prompt_tokens));
}

void AsyncEngineImpl::abort_all() {
  std::vector<ReqId> ids;
  ids.reserve(live_.size());
  for (const auto& [id, live] : live_) ids.push_back(id);
  for (const ReqId& id : ids) {
    core_->abort_request(id);
    finish_aborted(id);
  }
}

void AsyncEngineImpl::route(StepResult& result) {
  for (EngineOutput& o : result.outputs.outputs) {
    auto it = live_.find(o.req_id);
    if (it == live_.end()) continue;
    RequestOutput out;
    out.req_id = o.req_id;
    out.new_token_ids = std::move(o.new_token_ids);
    out.logprobs = std::move(o.logprobs);
    out.finish_reason = o.finish_reason;
    out.stop_reason = o.stop_reason;
    out.num_prompt_tokens = it->second.num_prompt_tokens;
    out.num_cached_tokens = o.num_cached_tokens;
    if (out.finished()) {
      Live live = std::move(it->second);
      live_.erase(it);
      {
        std::lock_guard<std::mutex> lock(mu_);
        live_ids_.erase(o.req_id);
      }
      live.callback(std::move(out));
    } else {
      it->second.callback(std::move(out));
    }
  }
  for (const ReqId& id : result.aborted) finish_aborted(id);
}

void AsyncEngineImpl::publish_stats() {
  const SchedulerStats s = core_->scheduler().stats();
  std::lock_guard<std::mutex> lock(mu_);
  stats_.num_running = s.num_running;
  stats_.num_waiting = s.num_waiting + static_cast<int64_t>(pending_.size());
  stats_.kv_usage = s.kv_cache_usage;
  stats_.kv_capacity_tokens = config_.kv_capacity_tokens;
  stats_.prefix_cache_queries = s.prefix_cache_queries;
  stats_.prefix_cache_hits = s.prefix_cache_hits;
  stats_.num_preemptions = s.num_preemptions;
  stats_.prompt_tokens_total = prompt_tokens_total_;
  stats_.generation_tokens_total = generation_tokens_total_;
  stats_.num_steps = num_steps_;
  const EncoderCacheStats& e = s.encoder_cache;
  stats_.encoder_cache_queries = e.num_queries;
  stats_.encoder_cache_hits = e.num_hits;
  stats_.encoder_cache_evictions = e.num_evictions;
  stats_.encoder_cache_used_tokens = e.used_tokens;
  stats_.encoder_cache_capacity_tokens = e.capacity_tokens;
  stats_.encoder_tpot_target_s = s.encoder_tpot_target_s;
  const EncoderRunnerStats r = core_->encoder_stats();
  stats_.encoder_cache_bytes = r.bytes_held;
  stats_.encoder_items_encoded = r.num_items_encoded;
  stats_.encoder_seconds_total = r.encode_seconds;
}

void AsyncEngineImpl::run() {
  for (;;) {
    std::vector<Pending> pending;
    std::vector<ReqId> aborts;
    bool stopping = false;
    int64_t deadline_ns = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const bool busy = core_->has_requests();
      cv_.wait(lock, [&] { return busy || stopping_ || !pending_.empty() || !pending_aborts_.empty(); });
      pending.swap(pending_);
      aborts.swap(pending_aborts_);
      stopping = stopping_;
      deadline_ns = drain_deadline_ns_;
    }
    admit(pending);
    for (const ReqId& id : aborts) {
      if (core_->abort_request(id)) finish_aborted(id);
    }
    if (stopping && (!core_->scheduler().has_unfinished_requests() || clock_.now_ns() >= deadline_ns)) {
      abort_all();
      publish_stats();
      return;
    }
    if (!core_->has_requests()) {
      publish_stats();
      continue;
    }
    StepResult result = core_->step();
    ++num_steps_;
    prompt_tokens_total_ += result.num_prompt_tokens;
    generation_tokens_total_ += result.num_generation_tokens;
    route(result);
    publish_stats();
  }
}

}  // namespace mms
