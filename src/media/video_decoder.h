// Decoding only the sampled frames of a probed video, on one or several decoders. The sampled frames are
// cut into segments, one per keyframe decoding must start from; each segment seeks to its keyframe,
// feeds packets until its last sampled frame is out, and converts (sws_scale) only the sampled frames.
// Segments run on `workers` threads (the caller's and workers - 1 started per call), each segment with a
// fresh demuxer and decoder; the frames reach the sink tagged with their position in the sampled list, so the
// merge is by index. decode_video_frames() is thread-safe; the sink is called from several threads at
// once (never twice for one slot).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "media/image_decoder.h"
#include "media/video_demuxer.h"
#include "media/video_hwaccel.h"

namespace mms::media {

// The sampled frames decoded from one keyframe.
struct VideoSegment {
  int64_t keyframe = 0;          // index into VideoInfo::keyframes
  std::vector<int64_t> slots;    // positions in the sampled list (ascending)
  int64_t num_packets = 0;       // packets fed: from the keyframe through the last sampled frame
};

// Groups the sampled frames (indices into info.frames, ascending) by the keyframe each must be decoded
// from: the last keyframe before it in decode order that is not after it in presentation order (a
// leading picture of an open GOP goes with the previous keyframe). Segments are in keyframe order.
std::vector<VideoSegment> plan_video_segments(const VideoInfo& info, std::span<const int64_t> frame_indices);

// Called with each sampled frame (RGB at the stream's frame size) and its position in the sampled list.
// An error stops the decode and is returned by decode_video_frames.
using VideoFrameSink = std::function<Status(int64_t slot, const RgbImage& frame)>;

struct VideoDecodeOptions {
  int workers = 1;  // decoders (threads) for this video; 1 = sequential on the calling thread
  // Skip decoding non-reference frames that are not sampled (AVDISCARD_NONREF per packet). Nothing
  // else depends on them, so the sampled frames are unchanged; off only to measure what it saves.
  bool skip_unsampled_nonref = true;
  // Decode on this device (NVDEC) where the codec has a hardware decoder for it; the CPU otherwise.
  // Only sampled frames are copied back to host memory. Null: CPU decoders.
  std::shared_ptr<const HwDecodeDevice> hw_device;
  // When set (benchmarks): resized to the workers used, each worker's thread CPU time in ms (the
  // sink's work included), to tell the critical path from time lost to other processes.
  std::vector<double>* worker_cpu_ms = nullptr;
};

// A frame the decoder does not produce (a damaged packet) is replaced by the next frame it does produce,
// and frames missing at the end of the stream by the last one decoded; the same rule on every path, so
// the result does not depend on `workers`. Errors: InvalidArgument when the data cannot be demuxed or
// decoded at all (corrupt, truncated before the first sampled frame, unsupported), Internal on an
// FFmpeg allocation failure; the sink's errors.
Status decode_video_frames(std::span<const uint8_t> bytes, const VideoInfo& info,
                           std::span<const int64_t> frame_indices, const VideoDecodeOptions& options,
                           const VideoFrameSink& sink);

}  // namespace mms::media
