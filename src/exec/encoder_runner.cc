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

EncoderRunner::EncoderRunner(const VisionEncoder& encoder, int64_t max_job_patches)
    : encoder_(encoder), max_job_patches_(std::max<int64_t>(max_job_patches, 1)) {}

Status EncoderRunner::start(std::span<const std::shared_ptr<const media::MediaItem>> items) {
  const VisionConfig& c = encoder_.config();
  const int64_t merge2 = c.spatial_merge_size * c.spatial_merge_size;
  std::vector<Job> jobs(1);  // jobs[0]: the batch; then the frame-pair groups of long videos
  std::vector<std::vector<VisionInput>> inputs(1);
  auto seen = [&](const Hash128& h) {
    if (store_.count(h) || queued_.count(h)) return true;
    for (const Job& j : jobs)
      for (const Piece& p : j.pieces)
        if (p.item->hash == h) return true;
    return false;
  };
  for (const auto& item : items) {
    if (seen(item->hash)) continue;
    MMS_ASSIGN_OR_RETURN(VisionGrid g, encoder_.grid_of(item->num_frames, item->height, item->width));
    const int64_t pair_patches = g.h * g.w;
    if (g.num_patches() <= max_job_patches_ || g.t == 1 || item->num_frames == 1) {
      inputs[0].push_back(VisionInput{item->frames, item->num_frames, item->height, item->width});
      jobs[0].pieces.push_back(Piece{item, 0, true});
      continue;
    }
    const int64_t frame_floats = c.in_channels * item->height * item->width;
    if (static_cast<int64_t>(item->frames.size()) != item->num_frames * frame_floats) {
      return invalid_argument("encoder: a video's frames do not match its size");
    }
    const int64_t group = std::max<int64_t>(1, max_job_patches_ / pair_patches);  // frame pairs per job
    for (int64_t t0 = 0; t0 < g.t; t0 += group) {
      const int64_t n = std::min(group, g.t - t0);
      const int64_t f0 = t0 * c.temporal_patch_size, nf = n * c.temporal_patch_size;
      const std::span<const float> frames(item->frames.data() + f0 * frame_floats,
                                          static_cast<size_t>(nf * frame_floats));
      inputs.push_back({VisionInput{frames, nf, item->height, item->width}});
      jobs.emplace_back();
      jobs.back().pieces.push_back(Piece{item, t0 * pair_patches / merge2, t0 + n == g.t});
    }
  }
  for (size_t j = 0; j < jobs.size(); ++j) {  // all jobs built before any is queued
    if (jobs[j].pieces.empty()) continue;
    MMS_ASSIGN_OR_RETURN(jobs[j].job, encoder_.start(inputs[j]));
  }
  for (Job& job : jobs) {
    if (job.pieces.empty()) continue;
    for (const Piece& p : job.pieces) queued_[p.item->hash] = true;
    queue_.push_back(std::move(job));
    ++stats_.num_jobs;
  }
  return ok_status();
}

std::vector<Hash128> EncoderRunner::finish_front() {
  std::vector<Hash128> done;
  Job& j = queue_.front();
  const int64_t O = encoder_.config().out_hidden_size;
  for (size_t i = 0; i < j.pieces.size(); ++i) {
    const Piece& p = j.pieces[i];
    const std::span<const float> out = j.job->output(i);
    const Hash128& h = p.item->hash;
    if (p.row0 == 0 && p.last) {
      store_[h].assign(out.begin(), out.end());
    } else {
      std::vector<float>& rows = partial_[h];
      rows.resize(static_cast<size_t>(p.item->num_tokens * O));
      std::copy(out.begin(), out.end(), rows.begin() + p.row0 * O);
      if (!p.last) continue;
      store_[h] = std::move(rows);
      partial_.erase(h);
    }
    queued_.erase(h);
    done.push_back(h);
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
