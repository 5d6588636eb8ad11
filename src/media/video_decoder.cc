// Segment planning and the per-segment decode loop (seek, feed, pick the sampled frames, convert).
#include "media/video_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <time.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace mms::media {

std::vector<VideoSegment> plan_video_segments(const VideoInfo& info, std::span<const int64_t> frame_indices) {
  const std::vector<VideoFrameEntry>& keys = info.keyframes;
  std::map<int64_t, VideoSegment> by_key;
  for (size_t slot = 0; slot < frame_indices.size(); ++slot) {
    const VideoFrameEntry& f = info.frames[static_cast<size_t>(frame_indices[slot])];
    // Last keyframe at or before f in decode order ...
    auto it = std::upper_bound(keys.begin(), keys.end(), f.decode_index,
                               [](int64_t d, const VideoFrameEntry& k) { return d < k.decode_index; });
    int64_t k = (it - keys.begin()) - 1;
    // ... and not after it in presentation order (open-GOP leading pictures need the previous GOP).
    while (k > 0 && keys[static_cast<size_t>(k)].pts > f.pts) --k;
    k = std::max<int64_t>(k, 0);
    VideoSegment& seg = by_key[k];
    seg.keyframe = k;
    seg.slots.push_back(static_cast<int64_t>(slot));
    seg.num_packets = std::max(seg.num_packets, f.decode_index - keys[static_cast<size_t>(k)].decode_index + 1);
  }
  std::vector<VideoSegment> out;
  out.reserve(by_key.size());
  for (auto& [k, seg] : by_key) out.push_back(std::move(seg));
  return out;
}

namespace {

double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};

// One segment's demuxer, decoder and converter.
class SegmentDecoder {
 public:
  ~SegmentDecoder() { sws_freeContext(sws_); }
  SegmentDecoder(const SegmentDecoder&) = delete;
  SegmentDecoder& operator=(const SegmentDecoder&) = delete;
  SegmentDecoder(const VideoInfo& info, std::span<const int64_t> frame_indices, const VideoDecodeOptions& options,
                 const VideoFrameSink& sink)
      : info_(info), frame_indices_(frame_indices), options_(options), sink_(sink) {}

  Status open(std::span<const uint8_t> bytes) {
    MMS_ASSIGN_OR_RETURN(demuxer_, VideoDemuxer::open(bytes, /*find_stream_info=*/false));
    AVFormatContext* fmt = demuxer_->context();
    const int si = info_.stream_index;
    if (si < 0 || si >= static_cast<int>(fmt->nb_streams) ||
        fmt->streams[si]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      return invalid_argument("the video stream is missing when the container is reopened");
    }
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
      if (static_cast<int>(i) != si) fmt->streams[i]->discard = AVDISCARD_ALL;
    }
    const AVCodec* codec = avcodec_find_decoder(info_.codecpar->codec_id);
    if (!codec) return invalid_argument("unsupported video codec '" + info_.codec + "'");
    codec_.reset(avcodec_alloc_context3(codec));
    if (!codec_) return internal_error("avcodec_alloc_context3 failed");
    int rc = avcodec_parameters_to_context(codec_.get(), info_.codecpar.get());
    if (rc < 0) return internal_error("avcodec_parameters_to_context: " + av_error_string(rc));
    codec_->thread_count = 1;  // parallelism is ours (segments), not the codec's
    codec_->pkt_timebase = AVRational{info_.time_base_num, info_.time_base_den};
    if (options_.hw_device) use_hw_device(codec, *options_.hw_device);
    rc = avcodec_open2(codec_.get(), codec, nullptr);
    if (rc < 0) return invalid_argument("cannot open the " + info_.codec + " decoder: " + av_error_string(rc));
    packet_.reset(av_packet_alloc());
    frame_.reset(av_frame_alloc());
    last_.reset(av_frame_alloc());
    host_.reset(av_frame_alloc());
    if (!packet_ || !frame_ || !last_ || !host_) return internal_error("out of memory for FFmpeg frames");
    return ok_status();
  }

  bool on_hw_device() const { return hw_format_ != AV_PIX_FMT_NONE; }

  Status decode(const VideoSegment& seg) {
    targets_.clear();
    for (int64_t slot : seg.slots) {
      targets_.push_back({info_.frames[static_cast<size_t>(frame_indices_[static_cast<size_t>(slot)])].pts, slot});
    }
    next_target_ = 0;
    av_frame_unref(last_.get());
    const VideoFrameEntry& key = info_.keyframes[static_cast<size_t>(seg.keyframe)];
    MMS_RETURN_IF_ERROR(seek_to(key));
    avcodec_flush_buffers(codec_.get());
    const int si = info_.stream_index;
    bool started = false;
    bool fell_back = false;
    while (next_target_ < targets_.size()) {
      if (!demuxer_->read(packet_.get())) break;
      std::unique_ptr<AVPacket, void (*)(AVPacket*)> unref(packet_.get(), [](AVPacket* p) { av_packet_unref(p); });
      if (packet_->stream_index != si) continue;
      const int64_t pts = packet_->pts != AV_NOPTS_VALUE ? packet_->pts : packet_->dts;
      if (!started) {
        if (pts == key.pts && (packet_->flags & AV_PKT_FLAG_KEY)) {
          started = true;
        } else {
          // Before the keyframe (the seek landed early: skip without decoding) or past it (landed late:
          // start over from the first keyframe, once).
          const int64_t at = info_.find_pts(pts);
          if (at >= 0 && info_.frames[static_cast<size_t>(at)].decode_index > key.decode_index) {
            if (fell_back) return invalid_argument("cannot seek to the keyframe at pts " + std::to_string(key.pts));
            fell_back = true;
            const VideoFrameEntry& first = info_.keyframes.front();
            MMS_RETURN_IF_ERROR(demuxer_->seek_backward(si, std::min(first.pts, first.dts) - 1));
          }
          continue;
        }
      }
      if (options_.skip_unsampled_nonref) {
        codec_->skip_frame = is_target(pts) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
      }
      const int rc = avcodec_send_packet(codec_.get(), packet_.get());
      if (rc < 0 && rc != AVERROR(EAGAIN)) {
        ++num_packet_errors_;  // a damaged packet: its frame will be missing, like ffmpeg's CLI
        if (rc == AVERROR(ENOMEM)) return internal_error("out of memory decoding video");
        continue;
      }
      MMS_RETURN_IF_ERROR(receive_frames());
    }
    if (next_target_ < targets_.size()) {  // end of data: drain the decoder's delayed frames
      codec_->skip_frame = AVDISCARD_DEFAULT;
      if (avcodec_send_packet(codec_.get(), nullptr) >= 0) MMS_RETURN_IF_ERROR(receive_frames());
    }
    if (next_target_ < targets_.size()) {
      if (!started) return invalid_argument("the video data ends before keyframe pts " + std::to_string(key.pts));
      if (!last_->data[0]) {
        return invalid_argument("no frame could be decoded from the " + info_.codec + " stream (corrupt or truncated)");
      }
      while (next_target_ < targets_.size()) MMS_RETURN_IF_ERROR(emit(last_.get(), targets_[next_target_++].slot));
    }
    return ok_status();
  }

 private:
  struct Target {
    int64_t pts;
    int64_t slot;
  };

  // Hands the decoder the device when the codec has a hardware decoder on it (decoding then produces frames
  // in device memory, format hw_format_); otherwise the decoder stays on the CPU.
  void use_hw_device(const AVCodec* codec, const HwDecodeDevice& device) {
    for (int i = 0;; ++i) {
      const AVCodecHWConfig* config = avcodec_get_hw_config(codec, i);
      if (!config) return;
      if ((config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) &&
          config->device_type == static_cast<AVHWDeviceType>(device.device_type())) {
        codec_->hw_device_ctx = av_buffer_ref(device.context());
        if (!codec_->hw_device_ctx) return;
        hw_format_ = config->pix_fmt;
        codec_->opaque = this;
        codec_->get_format = &SegmentDecoder::pick_format;
        // Surfaces beyond the decoder's own needs: last_ keeps one referenced while later frames decode.
        codec_->extra_hw_frames = 2;
        return;
      }
    }
  }

  // The device's format when the decoder offers it; else (a stream the hardware cannot take: profile,
  // size) the first software format, so that stream decodes on the CPU.
  static AVPixelFormat pick_format(AVCodecContext* ctx, const AVPixelFormat* formats) {
    const auto* self = static_cast<const SegmentDecoder*>(ctx->opaque);
    for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f) {
      if (*f == self->hw_format_) return *f;
    }
    for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f) {
      if (!(av_pix_fmt_desc_get(*f)->flags & AV_PIX_FMT_FLAG_HWACCEL)) return *f;
    }
    return AV_PIX_FMT_NONE;
  }

  Status seek_to(const VideoFrameEntry& key) {
    return demuxer_->seek_backward(info_.stream_index, std::min(key.pts, key.dts));
  }

  bool is_target(int64_t pts) const {
    for (size_t i = next_target_; i < targets_.size(); ++i) {
      if (targets_[i].pts == pts) return true;
      if (targets_[i].pts > pts) break;
    }
    return false;
  }

  Status receive_frames() {
    while (next_target_ < targets_.size()) {
      const int rc = avcodec_receive_frame(codec_.get(), frame_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok_status();
      if (rc < 0) {
        ++num_packet_errors_;
        return ok_status();
      }
      int64_t t = frame_->best_effort_timestamp;
      if (t == AV_NOPTS_VALUE) t = frame_->pts;
      // Every target at or before this frame: this frame is it, or (missing frame) replaces it.
      while (next_target_ < targets_.size() && t != AV_NOPTS_VALUE && targets_[next_target_].pts <= t) {
        MMS_RETURN_IF_ERROR(emit(frame_.get(), targets_[next_target_++].slot));
      }
      av_frame_unref(last_.get());
      av_frame_move_ref(last_.get(), frame_.get());
    }
    return ok_status();
  }

  // sws_scale to RGB24 at the stream's frame size (a frame of another size is scaled to it), then the sink.
  Status emit(const AVFrame* frame, int64_t slot) {
    if (on_hw_device() && frame->format == hw_format_) {  // a sampled frame in device memory: copy it back
      av_frame_unref(host_.get());
      int rc = av_hwframe_transfer_data(host_.get(), frame, 0);
      if (rc >= 0) rc = av_frame_copy_props(host_.get(), frame);  // colour matrix and range for the conversion
      if (rc < 0) return internal_error("copying a decoded frame from the GPU: " + av_error_string(rc));
      frame = host_.get();
    }
    if (frame->width <= 0 || frame->height <= 0 || frame->format < 0) {
      return invalid_argument("the decoder produced an empty frame");
    }
    sws_ = sws_getCachedContext(sws_, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                                info_.width, info_.height, AV_PIX_FMT_RGB24,
                                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
    if (!sws_) {
      const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
      return invalid_argument(std::string("cannot convert pixel format ") + (name ? name : "?") + " to RGB");
    }
    // The frame's colour matrix and range (BT.601 when unspecified, as the decoders assume).
    const int space = frame->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : frame->colorspace;
    const int src_range = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    int dummy_range = 0, brightness = 0, contrast = 0, saturation = 0;
    int* inv = nullptr;
    int* table = nullptr;
    int src_full = 0;
    if (sws_getColorspaceDetails(sws_, &inv, &src_full, &table, &dummy_range, &brightness, &contrast, &saturation) >= 0) {
      const bool yuv = !(av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame->format))->flags & AV_PIX_FMT_FLAG_RGB);
      sws_setColorspaceDetails(sws_, sws_getCoefficients(space), yuv ? src_range : 1, table, 1, brightness,
                               contrast, saturation);
    }
    rgb_.width = info_.width;
    rgb_.height = info_.height;
    rgb_.pixels.resize(static_cast<size_t>(info_.width) * info_.height * 3);
    uint8_t* dst[4] = {rgb_.pixels.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {info_.width * 3, 0, 0, 0};
    const int rows = sws_scale(sws_, frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
    if (rows != info_.height) return invalid_argument("pixel format conversion failed");
    return sink_(slot, rgb_);
  }

  const VideoInfo& info_;
  std::span<const int64_t> frame_indices_;
  const VideoDecodeOptions& options_;
  const VideoFrameSink& sink_;
  std::unique_ptr<VideoDemuxer> demuxer_;
  std::unique_ptr<AVCodecContext, CodecDeleter> codec_;
  std::unique_ptr<AVPacket, PacketDeleter> packet_;
  std::unique_ptr<AVFrame, FrameDeleter> frame_, last_;
  std::unique_ptr<AVFrame, FrameDeleter> host_;  // a device frame copied to host memory (hardware decoding)
  AVPixelFormat hw_format_ = AV_PIX_FMT_NONE;    // the device's frame format; NONE when decoding on the CPU
  SwsContext* sws_ = nullptr;  // owned (sws_getCachedContext reallocates it)
  RgbImage rgb_;  // the one converted frame this worker holds
  std::vector<Target> targets_;
  size_t next_target_ = 0;
  int64_t num_packet_errors_ = 0;
};

}  // namespace

Status decode_video_frames(std::span<const uint8_t> bytes, const VideoInfo& info,
                           std::span<const int64_t> frame_indices, const VideoDecodeOptions& options,
                           const VideoFrameSink& sink) {
  for (size_t i = 0; i < frame_indices.size(); ++i) {
    if (frame_indices[i] < 0 || frame_indices[i] >= info.num_frames() || (i > 0 && frame_indices[i] <= frame_indices[i - 1])) {
      return invalid_argument("sampled frame indices must be ascending and within the video's " +
                              std::to_string(info.num_frames()) + " frames");
    }
  }
  if (frame_indices.empty()) return ok_status();
  if (!info.codecpar) return invalid_argument("the video was not probed");
  const std::vector<VideoSegment> segments = plan_video_segments(info, frame_indices);
  const int workers = static_cast<int>(std::clamp<int64_t>(options.workers, 1, static_cast<int64_t>(segments.size())));

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;  // GUARDED_BY(mu)
  if (options.worker_cpu_ms) options.worker_cpu_ms->assign(static_cast<size_t>(workers), 0.0);
  auto run = [&](int worker) {
    const double cpu0 = thread_cpu_ms();
    Status s;
    while (s.ok() && !failed.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= segments.size()) break;
      // A fresh demuxer and decoder per segment: a segment's frames are then a function of the bytes and
      // the segment alone, whichever worker decodes it and whatever it decoded before (a reused decoder
      // or demuxer carries state across a flush/seek that shows on damaged streams). Opening costs about
      // a millisecond against a GOP's decoding.
      SegmentDecoder decoder(info, frame_indices, options, sink);
      s = decoder.open(bytes);
      if (s.ok()) s = decoder.decode(segments[i]);
    }
    if (!s.ok()) {
      failed = true;
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok()) first_error = s;
    }
    if (options.worker_cpu_ms) (*options.worker_cpu_ms)[static_cast<size_t>(worker)] = thread_cpu_ms() - cpu0;
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers - 1));
  for (int w = 1; w < workers; ++w) {
    try {
      threads.emplace_back(run, w);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones running (and this one) take every segment
    }
  }
  run(0);
  for (std::thread& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu);
  return first_error;
}

}  // namespace mms::media
