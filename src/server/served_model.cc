#include "server/served_model.h"

#include <algorithm>
#include <ctime>

namespace mms::server {

StatusOr<ServedModel> make_served_model(const LoadedModel& loaded, std::string name, int64_t max_model_len) {
  ServedModel m;
  m.name = name.empty() ? loaded.name : std::move(name);
  m.tokenizer = loaded.tokenizer.get();
  if (!loaded.chat_template.empty()) {
    auto t = ChatTemplate::parse(loaded.chat_template);
    if (!t.ok()) return t.status().with_context("chat template");
    m.chat_template = std::move(*t);
  }
  const Tokenizer* tok = m.tokenizer;
  if (tok && tok->bos_id()) m.bos_token = std::string(tok->token_text(*tok->bos_id()));
  if (tok && tok->eos_id()) m.eos_token = std::string(tok->token_text(*tok->eos_id()));
  auto add_eos = [&](int32_t id) {
    if (std::find(m.eos_token_ids.begin(), m.eos_token_ids.end(), id) == m.eos_token_ids.end())
      m.eos_token_ids.push_back(id);
  };
  for (int32_t id : loaded.generation.eos_token_ids) add_eos(id);
  if (m.eos_token_ids.empty())
    for (int32_t id : loaded.config.eos_token_ids) add_eos(id);
  if (tok && tok->eos_id()) add_eos(*tok->eos_id());
  m.vocab_size = loaded.config.vocab_size;
  m.max_model_len = max_model_len > 0 ? max_model_len : loaded.config.max_position_embeddings;
  if (loaded.config.max_position_embeddings > 0)
    m.max_model_len = std::min(m.max_model_len, loaded.config.max_position_embeddings);
  m.created = static_cast<int64_t>(std::time(nullptr));
  m.default_temperature = loaded.generation.temperature;
  m.default_top_p = loaded.generation.top_p;
  m.default_top_k = loaded.generation.top_k;
  m.default_repetition_penalty = loaded.generation.repetition_penalty;
  return m;
}

}  // namespace mms::server
