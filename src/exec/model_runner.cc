#include "exec/model_runner.h"

#include <string>

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

StatusOr<std::unique_ptr<Executor>> create_model_runner(CausalLm& model, const ModelRunnerOptions& options) {
  if (options.num_blocks <= 0) return invalid_argument("model runner: num_blocks must be positive");
  if (options.block_size <= 0) return invalid_argument("model runner: block_size must be positive");
  return std::unique_ptr<Executor>(std::make_unique<ModelRunner>(model, options));
}

ModelRunner::ModelRunner(CausalLm& model, const ModelRunnerOptions& options)
    : model_(model), options_(options), kv_(storage_options(model.config(), options)), builder_(options.block_size) {
  for (int64_t l = 0; l < model.config().num_hidden_layers; ++l) kv_layers_.push_back(kv_.layer(l));
}

Status ModelRunner::update_states(const SchedulerOutput& so) {
  for (const ReqId& id : so.finished_req_ids) requests_.erase(id);
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
                   d.num_computed_tokens, Sampler(d.sampling)};
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
  MMS_RETURN_IF_ERROR(update_states(so));
  ModelRunnerOutput out;
  if (so.total_num_scheduled_tokens == 0) return out;

  // Rows in message order (new, then cached) so a step's batch layout is deterministic.
  std::vector<std::pair<const ReqId*, RequestState*>> order;
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
    const bool wants_logits = end == static_cast<int64_t>(s.token_ids.size());
    builder_.add({std::span<const int32_t>(s.token_ids).subspan(static_cast<size_t>(s.num_computed_tokens),
                                                                 static_cast<size_t>(n)),
                  static_cast<int32_t>(s.num_computed_tokens), s.block_ids,
                  wants_logits ? LogitsWanted::kLast : LogitsWanted::kNone});
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
  return out;
}

}  // namespace mms
