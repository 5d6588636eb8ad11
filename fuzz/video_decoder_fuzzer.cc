// libFuzzer target: the video path on arbitrary bytes — probe (container parse + packet scan), the
// sampling plan, and the decode of the sampled frames (sequential and two decoders, which must agree)
// through the whole VideoPipeline with small limits, so the fuzzer explores demuxers and decoders, not
// memory. Seeds: clips from `fuzz_seeds --video <dir>` (every container/codec the tests encode).
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/video_demuxer.h"
#include "media/video_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mms::media;
  const std::span<const uint8_t> bytes(data, size);
  VideoProbeOptions probe;
  probe.max_duration_s = 60;
  probe.max_packets = 4096;
  (void)probe_video(bytes, probe);

  VideoPipelineOptions options;
  options.limits.max_duration_s = 60;
  options.limits.max_source_pixels = 1 << 20;
  options.limits.max_sampled_frames = 16;
  options.limits.max_decode_pixels = int64_t{1} << 26;
  options.sampling.max_frames = 16;
  options.sampling.min_pixels = 28 * 28;
  options.sampling.max_pixels = 64 * 28 * 28;
  options.sampling.total_pixels = 256 * 28 * 28;
  options.decode_workers = 1;
  auto one = VideoPipeline(options).process_bytes(bytes);
  options.decode_workers = 2;
  auto two = VideoPipeline(options).process_bytes(bytes);
  if (one.ok() != two.ok()) __builtin_trap();
  if (one.ok()) {
    const MediaItem& a = **one;
    const MediaItem& b = **two;
    if (!(a.hash == b.hash) || a.frames.size() != b.frames.size()) __builtin_trap();
    if (a.frames.size() != static_cast<size_t>(a.num_frames * 3 * a.height * a.width)) __builtin_trap();
    if (a.num_frames % 2 != 0 || a.num_frames > 16) __builtin_trap();
  }
  return 0;
}
