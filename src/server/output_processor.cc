#include "server/output_processor.h"

#include <algorithm>

namespace mms::server {

OutputProcessor::OutputProcessor(const Tokenizer* tokenizer, std::vector<std::string> stop, bool skip_special,
                                 bool include_stop_str)
    : tokenizer_(tokenizer), stop_(std::move(stop)), include_stop_str_(include_stop_str) {
  if (tokenizer_) decoder_ = std::make_unique<StreamingDecoder>(*tokenizer_, skip_special);
}

std::string OutputProcessor::token_text(int32_t id) const {
  return tokenizer_ ? tokenizer_->token_bytes(id) : std::to_string(id);
}

bool OutputProcessor::take_text(std::string& into, bool final) {
  // Earliest stop string occurrence at or after scan_from_.
  size_t best = std::string::npos, best_len = 0;
  for (const std::string& s : stop_) {
    size_t at = text_.find(s, scan_from_);
    if (at != std::string::npos && at < best) best = at, best_len = s.size(), stop_hit_ = s;
  }
  if (best != std::string::npos) {
    size_t end = include_stop_str_ ? best + best_len : best;
    if (end > emitted_) into.append(text_, emitted_, end - emitted_);
    emitted_ = std::max(emitted_, end);
    finished_ = stopped_by_string_ = true;
    return true;
  }
  size_t end = text_.size();
  if (!final) {
    // Hold back the longest suffix that is a proper prefix of some stop string.
    size_t hold = 0;
    for (const std::string& s : stop_) {
      for (size_t k = std::min(s.size() - 1, text_.size()); k > hold; --k) {
        if (text_.compare(text_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
      }
    }
    end = text_.size() - hold;
  }
  if (end > emitted_) into.append(text_, emitted_, end - emitted_);
  emitted_ = std::max(emitted_, end);
  scan_from_ = emitted_;
  return false;
}

OutputDelta OutputProcessor::process(const RequestOutput& out) {
  OutputDelta d;
  if (finished_) return d;
  for (size_t i = 0; i < out.new_token_ids.size(); ++i) {
    const int32_t id = out.new_token_ids[i];
    ++num_tokens_, ++d.num_new_tokens;
    if (i < out.logprobs.size()) {
      const TokenLogprob& lp = out.logprobs[i];
      LogprobEntry e{token_text(id), id, lp.logprob, {}};
      for (const auto& [tid, l] : lp.top) e.top.emplace_back(token_text(tid), l);
      d.logprobs.push_back(std::move(e));
    }
    text_ += decoder_ ? decoder_->feed(id) : (text_.empty() ? "" : " ") + std::to_string(id);
    if (!stop_.empty() && take_text(d.text, /*final=*/false)) {
      d.finish_reason = "stop";
      d.stop_string = stop_hit_;
      return d;
    }
  }
  if (out.finish_reason) {
    if (decoder_) text_ += decoder_->flush();
    if (take_text(d.text, /*final=*/true)) {
      d.finish_reason = "stop";
      d.stop_string = stop_hit_;
      return d;
    }
    finished_ = true;
    d.finish_reason = finish_reason_name(*out.finish_reason);
    d.stop_token = out.stop_reason;
  } else if (stop_.empty()) {
    take_text(d.text, /*final=*/false);
  }
  return d;
}

}  // namespace mms::server
