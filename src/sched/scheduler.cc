#include "sched/scheduler.h"

#include <algorithm>
#include <string>

#include "common/check.h"

namespace mms {

struct Scheduler::Step {
  int64_t token_budget = 0;
  std::vector<Request*> scheduled_new;      // admitted for the first time
  std::vector<Request*> scheduled_resumed;  // admitted again after a preemption
  std::vector<Request*> scheduled_running;  // already running
  std::unordered_map<Request*, int64_t> num_scheduled;
  std::unordered_map<Request*, KvBlocks> new_blocks;  // of scheduled_running
  std::vector<Request*> preempted;
  std::vector<ScheduledEncoderInput> encoder_inputs;  // started this step
  bool has_decodes = false;
  // Prompt tokens (prefill chunks, recomputation after preemption) this step may still take, and took.
  int64_t prefill_budget = 0;
  int64_t prefill_tokens = 0;
};

namespace {

int64_t kv_capacity_tokens(const KvCacheOptions& kv) { return kv.num_blocks * kv.block_size; }

}  // namespace

Status validate_scheduler_options(const SchedulerOptions& o) {
  if (o.kv.num_blocks <= 0) return invalid_argument("kv cache: num_blocks must be positive");
  if (o.kv.block_size <= 0) return invalid_argument("kv cache: block_size must be positive");
  if (o.max_num_seqs <= 0) return invalid_argument("max_num_seqs must be positive");
  if (o.max_num_batched_tokens <= 0) return invalid_argument("max_num_batched_tokens must be positive");
  if (o.max_model_len < 0) return invalid_argument("max_model_len must not be negative");
  if (o.long_prefill_token_threshold < 0) return invalid_argument("long_prefill_token_threshold must not be negative");
  if (o.encoder_cache_tokens <= 0) return invalid_argument("encoder_cache_tokens must be positive");
  if (o.max_encoder_batch_cost <= 0) return invalid_argument("max_encoder_batch_cost must be positive");
  const int64_t len = o.max_model_len == 0 ? kv_capacity_tokens(o.kv) : std::min(o.max_model_len, kv_capacity_tokens(o.kv));
  if (!o.enable_chunked_prefill && o.max_num_batched_tokens < len) {
    return invalid_argument("without chunked prefill, max_num_batched_tokens (" +
                            std::to_string(o.max_num_batched_tokens) + ") must be at least max_model_len (" +
                            std::to_string(len) + ")");
  }
  return ok_status();
}

Scheduler::Scheduler(const SchedulerOptions& options, const Clock& clock)
    : options_(options),
      clock_(clock),
      kv_(options.kv),
      waiting_(make_request_queue(options.queue_policy)),
      preemption_(make_preemption_policy(options.preemption_mode)),
      encoder_cache_(std::max<int64_t>(1, options.encoder_cache_tokens)),
      step_budget_(options.step_budget) {
  Status s = validate_scheduler_options(options);
  MMS_CHECK_MSG(s.ok(), s.message().c_str());
  const int64_t capacity = kv_capacity_tokens(options.kv);
  max_model_len_ = options.max_model_len == 0 ? capacity : std::min(options.max_model_len, capacity);
}

Scheduler::~Scheduler() = default;

Status Scheduler::add_request(Request request) {
  if (request.req_id.empty()) return invalid_argument("request id is empty");
  if (requests_.find(request.req_id) != requests_.end()) {
    return invalid_argument("request id '" + request.req_id + "' is already in use");
  }
  if (request.num_prompt_tokens() == 0) return invalid_argument("request '" + request.req_id + "': empty prompt");
  if (request.num_output_tokens() != 0) {
    return invalid_argument("request '" + request.req_id + "': already has output tokens");
  }
  if (request.num_prompt_tokens() > max_model_len_) {
    return invalid_argument("request '" + request.req_id + "': prompt of " +
                            std::to_string(request.num_prompt_tokens()) + " tokens exceeds max_model_len " +
                            std::to_string(max_model_len_));
  }
  if (request.stop.max_tokens < 1) {
    return invalid_argument("request '" + request.req_id + "': max_tokens must be at least 1");
  }
  if (Status s = validate_mm_inputs(request.mm_inputs, request.num_prompt_tokens()); !s.ok()) {
    return invalid_argument("request '" + request.req_id + "': " + s.message());
  }
  for (const MmInputRef& m : request.mm_inputs) {
    if (m.num_tokens > options_.encoder_cache_tokens) {
      return invalid_argument("request '" + request.req_id + "': a media item of " + std::to_string(m.num_tokens) +
                              " tokens exceeds the encoder cache (" + std::to_string(options_.encoder_cache_tokens) +
                              " tokens)");
    }
  }
  if (!request.mm_inputs.empty() && !request.extra_keys) request.extra_keys = mm_extra_keys(request.mm_inputs);
  auto owned = std::make_unique<Request>(std::move(request));
  Request* r = owned.get();
  if (r->arrival_time_ns < 0) r->arrival_time_ns = clock_.now_ns();
  r->status = RequestStatus::kWaiting;
  r->num_computed_tokens = 0;
  r->num_cached_tokens = -1;
  r->num_tokens_sent = 0;
  r->seq = next_seq_++;
  r->block_hashes.clear();
  r->update_block_hashes(kv_.block_size());
  // Items already held (or being encoded) stay held until this request has used them, but only the
  // leading ones: a request must not pin an item it needs after one that is absent, or a full cache could
  // never make room for the absent one (it would wait on itself).
  for (const MmInputRef& m : r->mm_inputs) {
    if (encoder_cache_.state(m.hash) == EncoderCacheManager::State::kAbsent) break;
    encoder_cache_.add_ref(m.hash, r->req_id);
  }
  requests_.emplace(r->req_id, std::move(owned));
  waiting_->add(r);
  return ok_status();
}

bool Scheduler::abort_request(std::string_view req_id) {
  Request* r = find_mutable(req_id);
  if (r == nullptr) return false;
  finish(r, RequestStatus::kFinishedAborted);
  return true;
}

int64_t Scheduler::abort_requests(std::span<const ReqId> req_ids) {
  int64_t n = 0;
  for (const ReqId& id : req_ids) n += abort_request(id) ? 1 : 0;
  return n;
}

SchedulerOutput Scheduler::schedule() {
  const int64_t now_ns = clock_.now_ns();
  if (last_schedule_ns_ >= 0) step_budget_.record_period(static_cast<double>(now_ns - last_schedule_ns_) * 1e-9);
  last_schedule_ns_ = now_ns;
  Step step;
  step.token_budget = options_.max_num_batched_tokens;
  const int64_t cap = step_budget_.prefill_token_cap(streams_decoding(), !encoder_in_flight_.empty());
  step.prefill_budget = cap < 0 ? options_.max_num_batched_tokens : cap;
  schedule_running(step);
  schedule_waiting(step);
  if (options_.encoder_mode == EncoderMode::kAsync) schedule_encoder(step);
  return build_output(step);
}

int64_t Scheduler::num_new_tokens(const Request& r, int64_t token_budget) const {
  int64_t n = r.num_tokens() - r.num_computed_tokens;
  if (options_.long_prefill_token_threshold > 0) n = std::min(n, options_.long_prefill_token_threshold);
  return std::min(n, token_budget);
}

void Scheduler::schedule_running(Step& step) {
  // Decodes (one token to compute) first, then prefill chunks of running requests, each group in
  // admission order: a long prompt being prefilled never holds up the token streams of others.
  std::vector<Request*> order;
  order.reserve(running_.size());
  auto is_decode = [](const Request* r) { return r->num_tokens() - r->num_computed_tokens <= 1; };
  for (Request* r : running_) if (is_decode(r)) order.push_back(r);
  for (Request* r : running_) if (!is_decode(r)) order.push_back(r);

  for (Request* r : order) {
    if (step.token_budget <= 0) break;
    if (r->status != RequestStatus::kRunning) continue;  // preempted earlier in this step
    const bool decode = is_decode(r);
    if (!decode && step.prefill_budget <= 0) continue;
    const int64_t budget = decode ? step.token_budget : std::min(step.token_budget, step.prefill_budget);
    const int64_t n = limit_by_encoder(*r, r->num_computed_tokens, num_new_tokens(*r, budget), step);
    if (n <= 0) continue;
    if (decode && r->num_output_tokens() > 0) step.has_decodes = true;
    std::optional<KvBlocks> blocks = preempt_until_fits(r, n, step);
    if (!blocks) continue;  // r itself was preempted
    step.scheduled_running.push_back(r);
    step.num_scheduled[r] = n;
    step.new_blocks[r] = std::move(*blocks);
    step.token_budget -= n;
    if (!decode) {
      step.prefill_budget -= n;
      step.prefill_tokens += n;
    }
  }
}

std::optional<KvBlocks> Scheduler::preempt_until_fits(Request* r, int64_t n, Step& step) {
  while (true) {
    std::optional<KvBlocks> blocks = kv_.allocate_slots(r->kv_view(), n);
    if (blocks) return blocks;
    MMS_CHECK(!running_.empty());
    std::vector<const Request*> view(running_.begin(), running_.end());
    const size_t idx = preemption_->choose_victim(view);
    MMS_CHECK(idx < running_.size());
    Request* victim = running_[idx];
    preempt(victim, step);
    if (victim == r) return std::nullopt;
  }
}

void Scheduler::preempt(Request* victim, Step& step) {
  kv_.free(victim->req_id);
  running_.erase(std::find(running_.begin(), running_.end(), victim));
  // Undo its scheduling if it was scheduled earlier in this step.
  auto it = step.num_scheduled.find(victim);
  if (it != step.num_scheduled.end()) {
    step.token_budget += it->second;
    if (victim->num_tokens() - victim->num_computed_tokens > 1) {  // it was scheduled as a prefill chunk
      step.prefill_budget += it->second;
      step.prefill_tokens -= it->second;
    }
    step.num_scheduled.erase(it);
    step.new_blocks.erase(victim);
    auto& sr = step.scheduled_running;
    sr.erase(std::find(sr.begin(), sr.end(), victim));
  }
  victim->status = RequestStatus::kPreempted;
  victim->num_computed_tokens = 0;
  victim->num_preemptions += 1;
  ++num_preemptions_;
  waiting_->prepend(victim);
  step.preempted.push_back(victim);
}

void Scheduler::schedule_waiting(Step& step) {
  // A step that had to preempt has no room for newcomers.
  if (!step.preempted.empty()) return;
  // In queue order; a request whose first tokens to compute are media still being encoded is passed
  // over (it keeps its place) so that it holds up nobody.
  for (Request* r : waiting_->to_vector()) {
    if (step.token_budget <= 0 || step.prefill_budget <= 0) break;
    if (static_cast<int64_t>(running_.size()) >= options_.max_num_seqs) break;
    MMS_CHECK(r->num_computed_tokens == 0);
    const ComputedBlocks computed = kv_.get_computed_blocks(r->kv_view());
    int64_t n = r->num_tokens() - computed.num_computed_tokens;
    if (options_.long_prefill_token_threshold > 0) n = std::min(n, options_.long_prefill_token_threshold);
    const int64_t budget = std::min(step.token_budget, step.prefill_budget);
    if (!options_.enable_chunked_prefill && n > budget) break;
    n = std::min(n, budget);
    const int64_t n_ready = limit_by_encoder(*r, computed.num_computed_tokens, n, step);
    if (n_ready <= 0) continue;
    if (!options_.enable_chunked_prefill && n_ready < n) continue;
    n = n_ready;
    std::optional<KvBlocks> blocks = kv_.allocate_slots(r->kv_view(), n, computed);
    if (!blocks) break;  // no room; it stays first in line

    waiting_->remove(r);
    running_.push_back(r);
    (r->status == RequestStatus::kPreempted ? step.scheduled_resumed : step.scheduled_new).push_back(r);
    r->status = RequestStatus::kRunning;
    r->num_computed_tokens = computed.num_computed_tokens;
    if (r->num_cached_tokens < 0) r->num_cached_tokens = computed.num_computed_tokens;
    step.num_scheduled[r] = n;
    step.token_budget -= n;
    step.prefill_budget -= n;
    step.prefill_tokens += n;
  }
}

int64_t Scheduler::limit_by_encoder(Request& r, int64_t start, int64_t n, Step& step) {
  for (size_t i = 0; i < r.mm_inputs.size(); ++i) {
    const MmInputRef& m = r.mm_inputs[i];
    if (m.offset >= start + n) break;
    if (m.offset + m.num_tokens <= start) continue;  // already computed
    const EncoderCacheManager::State state = encoder_cache_.state(m.hash);
    // Async mode counts an absent item's lookup when schedule_encoder() starts it.
    if (state != EncoderCacheManager::State::kAbsent || options_.encoder_mode == EncoderMode::kInline) {
      count_media_query(r, i);
    }
    const bool started_now = std::any_of(step.encoder_inputs.begin(), step.encoder_inputs.end(),
                                         [&](const ScheduledEncoderInput& e) { return e.input.hash == m.hash; });
    const bool is_inline = options_.encoder_mode == EncoderMode::kInline;
    if (state == EncoderCacheManager::State::kReady || (is_inline && started_now)) {
      encoder_cache_.add_ref(m.hash, r.req_id);
      continue;
    }
    if (is_inline && state == EncoderCacheManager::State::kAbsent && allocate_encoder_entry(r, m)) {
      step.encoder_inputs.push_back(ScheduledEncoderInput{r.req_id, static_cast<int32_t>(i), m});
      encoder_in_flight_.insert(m.hash);
      continue;
    }
    return std::max<int64_t>(0, m.offset - start);  // compute up to the item; the rest waits for it
  }
  return n;
}

void Scheduler::schedule_encoder(Step& step) {
  // Jobs started earlier are still running: new items wait and then start together, batched.
  if (encoder_in_flight_.empty()) {
    int64_t cost = 0;
    auto start_items = [&](Request* r) {
      if (r->mm_inputs.empty()) return true;
      int64_t start = r->num_computed_tokens;
      if (start == 0 && r->status != RequestStatus::kRunning) {
        start = kv_.get_computed_blocks(r->kv_view()).num_computed_tokens;  // prefix-cached media needs no encoding
      }
      for (size_t i = 0; i < r->mm_inputs.size(); ++i) {
        const MmInputRef& m = r->mm_inputs[i];
        if (m.offset + m.num_tokens <= start) continue;
        count_media_query(*r, i);
        if (encoder_cache_.state(m.hash) != EncoderCacheManager::State::kAbsent) {
          encoder_cache_.add_ref(m.hash, r->req_id);
          continue;
        }
        if (cost > 0 && cost + m.encoder_cost > options_.max_encoder_batch_cost) return false;
        if (!allocate_encoder_entry(*r, m)) return false;  // full: wait for room
        step.encoder_inputs.push_back(ScheduledEncoderInput{r->req_id, static_cast<int32_t>(i), m});
        encoder_in_flight_.insert(m.hash);
        cost += m.encoder_cost;
      }
      return true;
    };
    bool more = true;
    for (Request* r : running_) {
      if (!(more = start_items(r))) break;
    }
    if (more) {
      for (Request* r : waiting_->to_vector()) {
        if (!start_items(r)) break;
      }
    }
  }
  if (!encoder_in_flight_.empty()) {
    step_encoder_budget_s_ = step_budget_.encoder_budget_s(step.has_decodes || streams_decoding(), step.prefill_tokens);
  }
}

bool Scheduler::allocate_encoder_entry(Request& r, const MmInputRef& m) {
  if (encoder_cache_.allocate(m.hash, m.num_tokens, r.req_id)) return true;
  if (r.status != RequestStatus::kRunning) return false;
  // Their items stay cached until evicted (pending ones finish encoding first); they look them up again
  // when scheduled, and encode them again if they were evicted.
  for (const Request* w : waiting_->to_vector()) encoder_cache_.release_all(w->req_id);
  return encoder_cache_.allocate(m.hash, m.num_tokens, r.req_id);
}

void Scheduler::count_media_query(Request& r, size_t i) {
  if (r.mm_queried.size() != r.mm_inputs.size()) r.mm_queried.assign(r.mm_inputs.size(), false);
  if (r.mm_queried[i]) return;
  r.mm_queried[i] = true;
  encoder_cache_.record_query(r.mm_inputs[i].hash);
}

void Scheduler::release_consumed_media(Request& r) {
  for (const MmInputRef& m : r.mm_inputs) {
    if (m.offset + m.num_tokens > r.num_computed_tokens) break;
    encoder_cache_.release(m.hash, r.req_id);
  }
}

SchedulerOutput Scheduler::build_output(Step& step) {
  SchedulerOutput out;
  auto all_tokens = [](const Request* r) { return std::vector<int32_t>(r->all_token_ids().begin(), r->all_token_ids().end()); };
  for (Request* r : step.scheduled_new) {
    auto prompt = r->prompt_token_ids();
    out.scheduled_new_reqs.push_back(NewRequestData{r->req_id, std::vector<int32_t>(prompt.begin(), prompt.end()),
                                                    kv_.get_blocks(r->req_id).block_ids, r->num_computed_tokens,
                                                    r->sampling, r->mm_inputs});
  }
  for (Request* r : step.scheduled_resumed) {
    CachedRequestData d;
    d.req_id = r->req_id;
    d.resumed_from_preemption = true;
    d.all_token_ids = all_tokens(r);
    d.new_block_ids = kv_.get_blocks(r->req_id).block_ids;
    d.num_computed_tokens = r->num_computed_tokens;
    out.scheduled_cached_reqs.push_back(std::move(d));
  }
  for (Request* r : step.scheduled_running) {
    CachedRequestData d;
    d.req_id = r->req_id;
    auto tokens = r->all_token_ids().subspan(static_cast<size_t>(r->num_tokens_sent));
    d.new_token_ids.assign(tokens.begin(), tokens.end());
    d.new_block_ids = std::move(step.new_blocks[r].block_ids);
    d.num_computed_tokens = r->num_computed_tokens;
    out.scheduled_cached_reqs.push_back(std::move(d));
  }
  for (auto& [r, n] : step.num_scheduled) {
    out.num_scheduled_tokens[r->req_id] = n;
    out.total_num_scheduled_tokens += n;
    // The step computes these tokens; later steps schedule from there (vLLM's _update_after_schedule).
    r->num_computed_tokens += n;
    r->num_tokens_sent = r->num_tokens();
    if (!r->mm_inputs.empty()) release_consumed_media(*r);
  }
  MMS_CHECK(out.total_num_scheduled_tokens <= options_.max_num_batched_tokens);
  for (Request* r : step.preempted) out.preempted_req_ids.push_back(r->req_id);
  out.finished_req_ids.swap(finished_req_ids_);
  out.freed_block_hashes = kv_.take_evicted_block_hashes();
  out.scheduled_encoder_inputs = std::move(step.encoder_inputs);
  if (options_.encoder_mode == EncoderMode::kInline) {
    out.encoder_time_budget_s = out.scheduled_encoder_inputs.empty() ? 0.0 : -1.0;
  } else {
    out.encoder_time_budget_s = step_encoder_budget_s_;
  }
  step_encoder_budget_s_ = 0;
  out.freed_encoder_hashes = encoder_cache_.take_freed();
  last_step_ = StepRecord{step.has_decodes, step.prefill_tokens, 0};
  return out;
}

EngineOutputs Scheduler::update_from_output(const SchedulerOutput& so, const ModelRunnerOutput& mro) {
  EngineOutputs outs;
  for (const Hash128& h : mro.finished_encoder_hashes) {
    encoder_cache_.mark_ready(h);
    encoder_in_flight_.erase(h);
  }
  StepRecord timed = last_step_;
  timed.forward_s = mro.forward_seconds;
  timed.encoder_s = mro.encoder_seconds;
  timed.encoder_budget_s = std::max(0.0, so.encoder_time_budget_s);
  step_budget_.record_step(timed);
  auto handle = [&](const ReqId& id) {
    Request* r = find_mutable(id);
    if (r == nullptr || r->status != RequestStatus::kRunning) return;  // aborted since schedule()
    kv_.cache_blocks(r->kv_view(), r->num_computed_tokens);  // this step's KV is computed now
    if (r->num_computed_tokens < r->num_tokens()) return;   // a prefill chunk short of the prompt's end
    auto it = mro.sampled_token_ids.find(id);
    if (it == mro.sampled_token_ids.end() || it->second.empty()) return;
    auto lp = mro.logprobs.find(id);
    outs.outputs.push_back(apply_sampled(r, it->second, lp == mro.logprobs.end() ? std::span<const TokenLogprob>()
                                                                                : std::span<const TokenLogprob>(lp->second)));
  };
  for (const NewRequestData& d : so.scheduled_new_reqs) handle(d.req_id);
  for (const CachedRequestData& d : so.scheduled_cached_reqs) handle(d.req_id);
  return outs;
}

EngineOutput Scheduler::apply_sampled(Request* r, std::span<const int32_t> sampled,
                                      std::span<const TokenLogprob> logprobs) {
  EngineOutput out;
  out.req_id = r->req_id;
  out.num_cached_tokens = std::max<int64_t>(0, r->num_cached_tokens);
  bool stopped = false;
  for (size_t i = 0; i < sampled.size(); ++i) {
    const int32_t token = sampled[i];
    r->append_output_token(token);
    out.new_token_ids.push_back(token);
    if (i < logprobs.size()) out.logprobs.push_back(logprobs[i]);
    if ((stopped = check_stop(*r))) break;
  }
  if (stopped) {
    out.finish_reason = finish_reason_of(r->status);
    out.stop_reason = r->stop_reason;
    finish(r, r->status);  // frees r
  } else {
    r->update_block_hashes(kv_.block_size());
  }
  return out;
}

bool Scheduler::check_stop(Request& r) const {
  const int32_t last = r.output_token_ids().back();
  if (r.num_output_tokens() >= r.stop.min_tokens) {
    if (!r.stop.ignore_eos && r.stop.eos_token_id && last == *r.stop.eos_token_id) {
      r.status = RequestStatus::kFinishedStopped;
      return true;
    }
    const auto& ids = r.stop.stop_token_ids;
    if (std::find(ids.begin(), ids.end(), last) != ids.end()) {
      r.status = RequestStatus::kFinishedStopped;
      r.stop_reason = last;
      return true;
    }
  }
  if (r.num_output_tokens() >= r.stop.max_tokens || r.num_tokens() >= max_model_len_) {
    r.status = RequestStatus::kFinishedLength;
    return true;
  }
  return false;
}

void Scheduler::finish(Request* r, RequestStatus status) {
  MMS_CHECK(is_finished(status));
  auto it = std::find(running_.begin(), running_.end(), r);
  if (it != running_.end()) {
    running_.erase(it);
  } else {
    waiting_->remove(r);
  }
  kv_.free(r->req_id);
  encoder_cache_.release_all(r->req_id);
  r->status = status;
  finished_req_ids_.push_back(r->req_id);
  requests_.erase(r->req_id);  // destroys r
}

bool Scheduler::streams_decoding() const {
  // A running request with output tokens has its next token due.
  return std::any_of(running_.begin(), running_.end(), [](const Request* r) { return r->num_output_tokens() > 0; });
}

Request* Scheduler::find_mutable(std::string_view req_id) {
  auto it = requests_.find(req_id);
  return it == requests_.end() ? nullptr : it->second.get();
}

const Request* Scheduler::find_request(std::string_view req_id) const {
  auto it = requests_.find(req_id);
  return it == requests_.end() ? nullptr : it->second.get();
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s;
  s.num_running = static_cast<int64_t>(running_.size());
  s.num_waiting = static_cast<int64_t>(waiting_->size());
  s.kv_cache_usage = kv_.usage();
  const PrefixCacheStats p = kv_.prefix_cache_stats();
  s.prefix_cache_queries = p.num_queries;
  s.prefix_cache_hits = p.num_hits;
  s.num_preemptions = num_preemptions_;
  s.encoder_cache = encoder_cache_.stats();
  s.num_encoder_inputs_in_flight = static_cast<int64_t>(encoder_in_flight_.size());
  s.tpot_target_s = step_budget_.target_s();
  s.decode_step_s = step_budget_.decode_step_s();
  s.prefill_token_s = step_budget_.prefill_token_s();
  s.prefill_token_cap = step_budget_.prefill_token_cap(streams_decoding(), !encoder_in_flight_.empty());
  return s;
}

}  // namespace mms
