// EncoderRunner: the executor's side of the encoder queue. Runs vision-encoder jobs (each a batch of
// media items started together) in time-bounded slices between forward passes, and holds the finished
// embeddings by content hash until the scheduler's encoder cache evicts them. A slice runs whole work
// units and reads the clock between them. Not thread-safe: the executor (engine thread) calls it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/hash.h"
#include "media/media_item.h"
#include "model/vision/vision_encoder.h"

namespace mms {

struct EncoderRunnerStats {
  int64_t num_items_encoded = 0;
  int64_t num_jobs = 0;
  double encode_seconds = 0;  // wall time inside run_for()
  int64_t bytes_held = 0;     // embedding rows held
};

class EncoderRunner {
 public:
  // `encoder` must outlive the runner.
  explicit EncoderRunner(const VisionEncoder& encoder);

  // Queues one job over `items` (encoded together, attention within each); `hashes` are their cache
  // keys. An item already held or queued under its hash is skipped. InvalidArgument when an item's
  // size does not fit the encoder (nothing is queued then).
  Status start(std::span<const std::shared_ptr<const media::MediaItem>> items);
  // Runs queued jobs for about `seconds` of wall time: whole work units, at least one when any is queued,
  // no new unit once the previous one's duration no longer fits (negative: until every queued job is
  // done). Returns the hashes whose rows became available.
  std::vector<Hash128> run_for(double seconds);
  bool idle() const { return queue_.empty(); }

  // The rows of a finished item ([num_tokens, out_hidden]); empty when not held.
  std::span<const float> rows(const Hash128& hash) const;
  void free(const Hash128& hash);
  EncoderRunnerStats stats() const;
  double flops_per_second() const { return flops_per_s_; }  // measured, informational

 private:
  struct HashHasher {
    size_t operator()(const Hash128& h) const { return static_cast<size_t>(h.lo ^ (h.hi * 0x9e3779b97f4a7c15ULL)); }
  };
  struct Job {
    std::vector<std::shared_ptr<const media::MediaItem>> items;  // keeps the pixels alive
    std::unique_ptr<VisionEncodeJob> job;
  };

  std::vector<Hash128> finish_front();

  const VisionEncoder& encoder_;
  std::deque<Job> queue_;
  std::unordered_map<Hash128, std::vector<float>, HashHasher> store_;
  std::unordered_map<Hash128, bool, HashHasher> queued_;
  double flops_per_s_ = 20e9;  // refined by measurement
  EncoderRunnerStats stats_;
};

}  // namespace mms
