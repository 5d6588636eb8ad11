#include "exec/model_runner.h"

#include <chrono>
#include <string>

#include "kernels/attention.h"

namespace mms {

namespace {

KvStorageOptions storage_options(const ModelConfig& c, const ModelRunnerOptions& o) {
  KvStorageOptions k;
  k.num_layers = c.num_hidden_layers;
  k.num_blocks = o.num_blocks;
  k.block_size = o.block_size;
  k.n_kv_heads = static_cast<int32_t>(c.num_key_value_heads);
  k.head_dim = static_cast<int32_t>(c.head_dim);
  k.dtype = o.kv_dtype;
  return k;
}

}  // namespace

int64_t kv_bytes_per_token(const ModelConfig& config, DType kv_dtype) {
  ModelRunnerOptions o;
  o.kv_dtype = kv_dtype;
  return KvStorage::bytes_per_token(storage_options(config, o));
}

StatusOr<DType> resolve_kv_cache_dtype(std::string_view name, const ModelConfig& config) {
  const bool f16_ok = kernels::paged_attention_takes_f16();
  if (name == "auto") {
    return f16_ok && (config.dtype == DType::kF16 || config.dtype == DType::kBF16) ? DType::kF16 : DType::kF32;
  }
  if (name == "f32" || name == "float32") return DType::kF32;
  if (name == "f16" || name == "float16" || name == "half") {
    if (!f16_ok) return invalid_argument("kv_cache_dtype f16 needs a CPU with AVX2, F16C and FMA; use f32");
    return DType::kF16;
  }
  return invalid_argument("kv_cache_dtype '" + std::string(name) + "' is not one of auto, f32, f16");
}

StatusOr<std::unique_ptr<Executor>> create_model_runner(CausalLm& model, const ModelRunnerOptions& options) {
  if (options.num_blocks <= 0) return invalid_argument("model runner: num_blocks must be positive");
  if (options.block_size <= 0) return invalid_argument("model runner: block_size must be positive");
  return std::unique_ptr<Executor>(std::make_unique<ModelRunner>(model, options));
}

ModelRunner::ModelRunner(CausalLm& model, const ModelRunnerOptions& options)
    : model_(model), options_(options), kv_(storage_options(model.config(), options)), builder_(options.block_size) {
  for (int64_t l = 0; l < model.config().num_hidden_layers; ++l) kv_layers_.push_back(kv_.layer(l));
  if (options.vision != nullptr) encoder_ = std::make_unique<EncoderRunner>(*options.vision);
  mrope_ = !model.config().mrope_section.empty();
  if (mrope_) {
    mrope_rule_ = options.vision ? mrope_rule(model.config(), options.vision->config()) : mrope_rule(model.config());
  }
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Status ModelRunner::add_media(const ReqId& req_id, std::vector<std::shared_ptr<const media::MediaItem>> items) {
  if (items.empty()) return ok_status();
  if (!encoder_) return invalid_argument("this model does not accept images or video");
  for (size_t i = 0; i < items.size(); ++i) {
    const media::MediaItem& m = *items[i];
    StatusOr<VisionGrid> grid = options_.vision->grid_of(m.num_frames, m.height, m.width);
    if (!grid.ok()) return invalid_argument("media item " + std::to_string(i) + ": " + grid.status().message());
    if (options_.vision->num_output_tokens(*grid) != m.num_tokens) {
      return invalid_argument("media item " + std::to_string(i) + ": placeholder count does not match the encoder");
    }
  }
  media_[req_id] = std::move(items);
  return ok_status();
}

Status ModelRunner::start_encoder_jobs(const SchedulerOutput& so) {
  if (so.scheduled_encoder_inputs.empty()) return ok_status();
  if (!encoder_) return invalid_argument("model runner: encoder work scheduled for a model without a vision encoder");
  std::vector<std::shared_ptr<const media::MediaItem>> items;
  for (const ScheduledEncoderInput& e : so.scheduled_encoder_inputs) {
    auto it = media_.find(e.req_id);
    if (it == media_.end() || e.input_index < 0 || static_cast<size_t>(e.input_index) >= it->second.size()) {
      return invalid_argument("model runner: no media item " + std::to_string(e.input_index) + " for request '" +
                              e.req_id + "'");
    }
    if (!(it->second[static_cast<size_t>(e.input_index)]->hash == e.input.hash)) {
      return invalid_argument("model runner: media hash mismatch for request '" + e.req_id + "'");
    }
    items.push_back(it->second[static_cast<size_t>(e.input_index)]);
  }
  return encoder_->start(items);
}

Status ModelRunner::media_overrides(const ReqId& id, const RequestState& s, int64_t start, int64_t n,
                                    std::vector<EmbeddingOverride>& out) const {
  const int64_t H = model_.config().hidden_size;
  for (const MmInputRef& m : s.mm_inputs) {
    if (m.offset >= start + n) break;
    if (m.offset + m.num_tokens <= start) continue;
    const std::span<const float> rows = encoder_ ? encoder_->rows(m.hash) : std::span<const float>();
    if (static_cast<int64_t>(rows.size()) != m.num_tokens * H) {
      return invalid_argument("model runner: the embedding of a media item of request '" + id + "' is not ready");
    }
    const int64_t from = std::max(start, m.offset), to = std::min(start + n, m.offset + m.num_tokens);
    out.push_back(EmbeddingOverride{static_cast<int32_t>(from - start), static_cast<int32_t>(to - from),
                                    rows.data() + (from - m.offset) * H});
  }
  return ok_status();
}

Status ModelRunner::update_states(const SchedulerOutput& so) {
  for (const ReqId& id : so.finished_req_ids) {
    requests_.erase(id);
    media_.erase(id);
  }
  // A preempted request keeps its sampler and prompt length; it comes back as a resumed cached request.
  for (const ReqId& id : so.preempted_req_ids) {
    auto it = requests_.find(id);
    if (it != requests_.end()) {
      it->second.block_ids.clear();
      it->second.num_computed_tokens = 0;
    }
  }
  for (const NewRequestData& d : so.scheduled_new_reqs) {
    RequestState s{d.prompt_token_ids, static_cast<int64_t>(d.prompt_token_ids.size()), d.block_ids,
                   d.num_computed_tokens, Sampler(d.sampling), d.mm_inputs, {}};
    if (!d.mm_inputs.empty()) {
      auto it = media_.find(d.req_id);
      if (it == media_.end() || it->second.size() != d.mm_inputs.size()) {
        return invalid_argument("model runner: request '" + d.req_id + "' has media placeholders but no media");
      }
      for (size_t i = 0; i < d.mm_inputs.size(); ++i) {
        const media::MediaItem& m = *it->second[i];
        s.mrope_spans.push_back(MropeMediaSpan{d.mm_inputs[i].offset, m.grid_t, m.grid_h, m.grid_w,
                                               m.kind == media::MediaKind::kVideo, m.second_per_grid_t});
      }
      if (mrope_) {
        StatusOr<int32_t> delta = compute_mrope_delta(s.num_prompt_tokens, s.mrope_spans, mrope_rule_);
        if (!delta.ok()) return invalid_argument("model runner: request '" + d.req_id + "': " + delta.status().message());
      }
    }
    requests_.insert_or_assign(d.req_id, std::move(s));
  }
  for (const CachedRequestData& d : so.scheduled_cached_reqs) {
    auto it = requests_.find(d.req_id);
    if (it == requests_.end()) return invalid_argument("model runner: unknown request '" + d.req_id + "'");
    RequestState& s = it->second;
    if (d.resumed_from_preemption) {
      s.token_ids = d.all_token_ids;
      s.block_ids = d.new_block_ids;
    } else {
      s.token_ids.insert(s.token_ids.end(), d.new_token_ids.begin(), d.new_token_ids.end());
      s.block_ids.insert(s.block_ids.end(), d.new_block_ids.begin(), d.new_block_ids.end());
    }
    s.num_computed_tokens = d.num_computed_tokens;
  }
  return ok_status();
}

StatusOr<ModelRunnerOutput> ModelRunner::execute(const SchedulerOutput& so) {
  ModelRunnerOutput out;
  if (encoder_) {
    for (const Hash128& h : so.freed_encoder_hashes) encoder_->free(h);
  }
  MMS_RETURN_IF_ERROR(start_encoder_jobs(so));
  // Inline mode: this step's prefill needs the items just started.
  if (encoder_ && so.encoder_time_budget_s < 0) {
    const auto t0 = std::chrono::steady_clock::now();
    out.finished_encoder_hashes = encoder_->run_for(-1);
    out.encoder_seconds += seconds_since(t0);
  }
  MMS_RETURN_IF_ERROR(update_states(so));
  if (so.total_num_scheduled_tokens > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    MMS_RETURN_IF_ERROR(run_forward(so, out));
    out.forward_seconds = seconds_since(t0);
  }
  // Async mode: encoder work in the time the step leaves.
  if (encoder_ && so.encoder_time_budget_s > 0 && !encoder_->idle()) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Hash128> done = encoder_->run_for(so.encoder_time_budget_s);
    out.finished_encoder_hashes.insert(out.finished_encoder_hashes.end(), done.begin(), done.end());
    out.encoder_seconds += seconds_since(t0);
  }
  return out;
}

Status ModelRunner::run_forward(const SchedulerOutput& so, ModelRunnerOutput& out) {
  // Rows in message order (new, then cached) so a step's batch layout is deterministic.
  std::vector<std::pair<const ReqId*, RequestState*>> order;
  const size_t num_seqs = so.scheduled_new_reqs.size() + so.scheduled_cached_reqs.size();
  if (overrides_.size() < num_seqs) overrides_.resize(num_seqs);
  size_t seq = 0;
  auto add_row = [&](const ReqId& id) -> Status {
    auto n_it = so.num_scheduled_tokens.find(id);
    if (n_it == so.num_scheduled_tokens.end() || n_it->second <= 0) return ok_status();
    RequestState& s = requests_.at(id);
    const int64_t n = n_it->second;
    const int64_t end = s.num_computed_tokens + n;
    if (end > static_cast<int64_t>(s.token_ids.size())) {
      return invalid_argument("model runner: request '" + id + "' scheduled past its known tokens");
    }
    if (static_cast<int64_t>(s.block_ids.size()) * options_.block_size < end) {
      return invalid_argument("model runner: request '" + id + "' has too few blocks");
    }
    std::vector<EmbeddingOverride>& ov = overrides_[seq++];
    ov.clear();
    MMS_RETURN_IF_ERROR(media_overrides(id, s, s.num_computed_tokens, n, ov));
    const bool wants_logits = end == static_cast<int64_t>(s.token_ids.size());
    SequenceStep step{std::span<const int32_t>(s.token_ids).subspan(static_cast<size_t>(s.num_computed_tokens),
                                                                    static_cast<size_t>(n)),
                      static_cast<int32_t>(s.num_computed_tokens), s.block_ids,
                      wants_logits ? LogitsWanted::kLast : LogitsWanted::kNone};
    if (mrope_) {
      step.mrope_rule = &mrope_rule_;
      step.mrope_spans = s.mrope_spans;
    }
    step.embedding_overrides = ov;
    builder_.add(step);
    order.emplace_back(wants_logits ? &id : nullptr, &s);
    s.num_computed_tokens = end;
    return ok_status();
  };
  builder_.clear();
  for (const NewRequestData& d : so.scheduled_new_reqs) MMS_RETURN_IF_ERROR(add_row(d.req_id));
  for (const CachedRequestData& d : so.scheduled_cached_reqs) MMS_RETURN_IF_ERROR(add_row(d.req_id));

  const int64_t vocab = model_.config().vocab_size;
  ForwardBatch batch = builder_.build();
  logits_.resize(batch.logits_indices.size() * static_cast<size_t>(vocab));
  model_.forward(batch, kv_layers_, logits_.data());

  for (size_t i = 0; i < order.size(); ++i) {
    const auto [id, s] = order[i];
    if (id == nullptr) continue;
    const auto row = std::span<const float>(logits_).subspan(
        static_cast<size_t>(builder_.logits_offset(i)) * static_cast<size_t>(vocab), static_cast<size_t>(vocab));
    const std::span<const int32_t> tokens(s->token_ids);
    SampleResult r = s->sampler.sample(row, {tokens.first(static_cast<size_t>(s->num_prompt_tokens)),
                                             tokens.subspan(static_cast<size_t>(s->num_prompt_tokens))});
    out.sampled_token_ids[*id].push_back(r.token_id);
    if (r.logprob) out.logprobs[*id].push_back(std::move(*r.logprob));
  }
  return ok_status();
}

}  // namespace mms
