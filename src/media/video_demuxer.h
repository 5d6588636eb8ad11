// Video containers read from memory with libavformat: a VideoDemuxer owns one AVFormatContext over a
// caller-owned byte span (custom AVIOContext; no files, no network), and probe_video() builds the frame
// index a sampling plan needs without decoding: every frame's timestamps and keyframe flag, from the
// packets' headers. A VideoDemuxer is used by one thread; several may read the same bytes at once.
// The first open() lowers FFmpeg's process-wide log level to fatal (errors come back as Status).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

struct AVFormatContext;
struct AVCodecParameters;
struct AVPacket;

namespace mms::media {

// One video frame (one packet of the video stream), as the container indexes it.
struct VideoFrameEntry {
  int64_t pts = 0;           // presentation timestamp in the stream's time base (dts when pts is missing)
  int64_t dts = 0;           // decode timestamp (pts when dts is missing)
  int64_t decode_index = 0;  // position in decode (packet) order
  bool key = false;          // a keyframe: decoding may start here
};

struct VideoInfo {
  std::string container;  // libavformat's short name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"
  std::string codec;      // "h264", "hevc", "vp9", "av1", ...
  int stream_index = -1;
  int32_t width = 0;
  int32_t height = 0;
  int time_base_num = 1, time_base_den = 1;  // of the video stream
  double fps = 0;         // average frame rate (avg_frame_rate, else r_frame_rate, else frames / duration)
  double duration_s = 0;  // of the video stream (container duration when the stream has none)
  std::vector<VideoFrameEntry> frames;  // presentation order (ascending pts); frames[i] is "frame i"
  // Every keyframe packet in decode order, including ones the container marks as discarded (an edit list
  // that starts mid-GOP): the places decoding can start.
  std::vector<VideoFrameEntry> keyframes;
  std::shared_ptr<const AVCodecParameters> codecpar;  // the stream's decoder parameters (read-only)

  int64_t num_frames() const { return static_cast<int64_t>(frames.size()); }
  double seconds(int64_t pts) const { return static_cast<double>(pts) * time_base_num / time_base_den; }
  // Index (into frames) of the frame with this pts, or -1.
  int64_t find_pts(int64_t pts) const;
};

struct VideoProbeOptions {
  double max_duration_s = 600.0;       // checked from the header before the packet scan
  int64_t max_packets = 600 * 240;     // packet scan stops with an error beyond this
};

// Opens the container, picks the best video stream, checks its decoder exists, and scans every packet
// header. Errors: InvalidArgument for bytes that are not a supported container, no video stream, an
// unsupported codec, a stream without frames, missing or duplicate timestamps, or a duration / packet
// count over the limits (message says which and by how much). Thread-safe; never crashes on bad bytes.
StatusOr<VideoInfo> probe_video(std::span<const uint8_t> bytes, const VideoProbeOptions& options = {});

// An open container over bytes that outlive it.
class VideoDemuxer {
 public:
  // find_stream_info: run avformat_find_stream_info (probing; decoders need not).
  static StatusOr<std::unique_ptr<VideoDemuxer>> open(std::span<const uint8_t> bytes, bool find_stream_info);
  ~VideoDemuxer();
  VideoDemuxer(const VideoDemuxer&) = delete;
  VideoDemuxer& operator=(const VideoDemuxer&) = delete;

  AVFormatContext* context() { return fmt_; }
  // Seeks so that the next packets read start at or before `timestamp` of stream `stream_index`.
  Status seek_backward(int stream_index, int64_t timestamp);
  // The next packet of any stream; false at the end of the data (or on a read error, which ends the
  // stream as a truncated file would).
  bool read(AVPacket* packet);

 private:
  struct MemoryReader;
  VideoDemuxer() = default;
  std::unique_ptr<MemoryReader> reader_;
  AVFormatContext* fmt_ = nullptr;
};

// "Resource temporarily unavailable" style text for an FFmpeg error code.
std::string av_error_string(int errnum);

// FFmpeg's own log is process-wide; untrusted videos would fill stderr with decoder complaints, and every
// failure that matters comes back as a Status. Sets it to fatal messages only (once; thread-safe).
void quiet_ffmpeg_log();

}  // namespace mms::media
