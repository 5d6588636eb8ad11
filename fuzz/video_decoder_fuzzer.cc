// libFuzzer target: the video path on arbitrary bytes — probe (container parse + packet scan), the
// sampling plan, and the decode of the sampled frames (sequential and two decoders, which must agree)
// through the whole VideoPipeline with small limits, so the fuzzer explores demuxers and decoders, not
// memory. Seeds: clips from `fuzz_seeds --video <dir>` (every container/codec the tests encode).
#include <cstddef>
#include <cstdint>
#include <cstdio>
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
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "video_decoder_fuzzer: %s (1 decoder: %s; 2 decoders: %s)\n", what,
                 one.ok() ? "ok" : one.status().to_string().c_str(), two.ok() ? "ok" : two.status().to_string().c_str());
    __builtin_trap();
  };
  if (one.ok() != two.ok()) fail("sequential and parallel disagree on success");
  if (one.ok()) {
    const MediaItem& a = **one;
    const MediaItem& b = **two;
    if (!(a.hash == b.hash) || a.frames != b.frames) fail("sequential and parallel frames differ");
    if (a.frames.size() != static_cast<size_t>(a.num_frames * 3 * a.height * a.width)) fail("tensor size");
    if (a.num_frames % 2 != 0 || a.num_frames > 16) fail("frame count");
  }
  return 0;
}
