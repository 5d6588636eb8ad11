#include "exec/encoder_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace mms {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

EncoderRunner::EncoderRunner(const VisionEncoder& encoder) : encoder_(encoder) {}

Status EncoderRunner::start(std::span<const std::shared_ptr<const media::MediaItem>> items) {
  Job job;
  std::vector<VisionInput> inputs;
  for (const auto& item : items) {
    if (store_.count(item->hash) || queued_.count(item->hash)) continue;
    if (std::any_of(job.items.begin(), job.items.end(), [&](const auto& i) { return i->hash == item->hash; })) continue;
    VisionInput in;
    in.frames = item->frames;
    in.num_frames = item->num_frames;
    in.height = item->height;
    in.width = item->width;
    inputs.push_back(in);
    job.items.push_back(item);
  }
  if (job.items.empty()) return ok_status();
  MMS_ASSIGN_OR_RETURN(job.job, encoder_.start(inputs));
  for (const auto& item : job.items) queued_[item->hash] = true;
  queue_.push_back(std::move(job));
  ++stats_.num_jobs;
  return ok_status();
}

std::vector<Hash128> EncoderRunner::finish_front() {
  std::vector<Hash128> done;
  Job& j = queue_.front();
  for (size_t i = 0; i < j.items.size(); ++i) {
    const std::span<const float> out = j.job->output(i);
    store_[j.items[i]->hash].assign(out.begin(), out.end());
    queued_.erase(j.items[i]->hash);
    done.push_back(j.items[i]->hash);
    ++stats_.num_items_encoded;
  }
  queue_.pop_front();
  return done;
}

std::vector<Hash128> EncoderRunner::run_for(double seconds) {
  // One work unit per run() call, the clock read between units: a slice overruns its budget by at most
  // the part of one unit predicted to fit (units differ several-fold in FLOP rate, so FLOP-based
  // budgets overshoot). The next unit is not started when the last one's duration does not fit.
  std::vector<Hash128> finished;
  const double t0 = now_s();
  double last_unit_s = 0;
  bool ran = false;
  while (!queue_.empty()) {
    const double left = seconds < 0 ? INFINITY : seconds - (now_s() - t0);
    if (ran && (left <= 0 || left < 0.5 * last_unit_s)) break;
    VisionEncodeJob& job = *queue_.front().job;
    const int64_t before = job.remaining_flops();
    const double t = now_s();
    const bool done = job.run(1);
    last_unit_s = now_s() - t;
    ran = true;
    const int64_t did = before - job.remaining_flops();
    if (last_unit_s > 1e-4 && did > 0) flops_per_s_ += 0.1 * (static_cast<double>(did) / last_unit_s - flops_per_s_);
    if (done) {
      std::vector<Hash128> d = finish_front();
      finished.insert(finished.end(), d.begin(), d.end());
    }
  }
  stats_.encode_seconds += now_s() - t0;
  return finished;
}

std::span<const float> EncoderRunner::rows(const Hash128& hash) const {
  auto it = store_.find(hash);
  if (it == store_.end()) return {};
  return it->second;
}

void EncoderRunner::free(const Hash128& hash) { store_.erase(hash); }

EncoderRunnerStats EncoderRunner::stats() const {
  EncoderRunnerStats s = stats_;
  for (const auto& [h, v] : store_) s.bytes_held += static_cast<int64_t>(v.size() * sizeof(float));
  return s;
}

}  // namespace mms
