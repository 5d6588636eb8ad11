// libavformat over memory and the packet-header scan behind probe_video().
#include "media/video_demuxer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

namespace mms::media {

std::string av_error_string(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(errnum, buf, sizeof(buf));
  return buf;
}

int64_t VideoInfo::find_pts(int64_t pts) const {
  auto it = std::lower_bound(frames.begin(), frames.end(), pts,
                             [](const VideoFrameEntry& e, int64_t p) { return e.pts < p; });
  if (it == frames.end() || it->pts != pts) return -1;
  return it - frames.begin();
}

// The AVIOContext's view of the bytes: a cursor over a span the caller keeps alive.
struct VideoDemuxer::MemoryReader {
  const uint8_t* data = nullptr;
  int64_t size = 0;
  int64_t pos = 0;
  AVIOContext* avio = nullptr;

  static int read(void* opaque, uint8_t* buf, int buf_size) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const int64_t n = std::min<int64_t>(buf_size, r->size - r->pos);
    if (n <= 0) return AVERROR_EOF;
    std::memcpy(buf, r->data + r->pos, static_cast<size_t>(n));
    r->pos += n;
    return static_cast<int>(n);
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* r = static_cast<MemoryReader*>(opaque);
    if (whence & AVSEEK_SIZE) return r->size;
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = r->pos; break;
      case SEEK_END: base = r->size; break;
      default: return AVERROR(EINVAL);
    }
    if (offset > r->size || offset < -r->size) return AVERROR(EINVAL);
    const int64_t target = base + offset;
    if (target < 0 || target > r->size) return AVERROR(EINVAL);
    r->pos = target;
    return target;
  }
  ~MemoryReader() {
    if (avio) {
      av_freep(&avio->buffer);
      avio_context_free(&avio);
    }
  }
};

namespace {

// Containers only: the whitelist keeps the ~300 other demuxers (and their parsers) away from
// untrusted bytes.
constexpr const char* kFormatWhitelist = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm";

// The containers may not open other files (MOV data references, HLS-style playlists).
int refuse_io_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) { return AVERROR(EPERM); }

double rational(AVRational r) { return r.den ? static_cast<double>(r.num) / r.den : 0.0; }

}  // namespace

void quiet_ffmpeg_log() {
  static std::once_flag quiet;
  std::call_once(quiet, [] { av_log_set_level(AV_LOG_FATAL); });
}

StatusOr<std::unique_ptr<VideoDemuxer>> VideoDemuxer::open(std::span<const uint8_t> bytes, bool find_stream_info) {
  quiet_ffmpeg_log();
  if (bytes.empty()) return invalid_argument("empty video data");
  std::unique_ptr<VideoDemuxer> d(new VideoDemuxer());
  d->reader_ = std::make_unique<MemoryReader>();
  MemoryReader& r = *d->reader_;
  r.data = bytes.data();
  r.size = static_cast<int64_t>(bytes.size());
  constexpr int kBufferSize = 64 << 10;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kBufferSize));
  if (!buffer) return resource_exhausted("out of memory for the video reader");
  r.avio = avio_alloc_context(buffer, kBufferSize, 0, &r, &MemoryReader::read, nullptr, &MemoryReader::seek);
  if (!r.avio) {
    av_free(buffer);
    return resource_exhausted("out of memory for the video reader");
  }
  d->fmt_ = avformat_alloc_context();
  if (!d->fmt_) return resource_exhausted("out of memory for the video demuxer");
  d->fmt_->pb = r.avio;
  d->fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
  d->fmt_->io_open = &refuse_io_open;
  d->fmt_->format_whitelist = av_strdup(kFormatWhitelist);
  int rc = avformat_open_input(&d->fmt_, nullptr, nullptr, nullptr);
  if (rc < 0) {
    d->fmt_ = nullptr;  // freed by avformat_open_input
    return invalid_argument("not a supported video container (MP4/MOV/MKV/WebM): " + av_error_string(rc));
  }
  if (find_stream_info) {
    rc = avformat_find_stream_info(d->fmt_, nullptr);
    if (rc < 0) return invalid_argument("cannot read the video's stream information: " + av_error_string(rc));
  }
  return d;
}

VideoDemuxer::~VideoDemuxer() {
  if (fmt_) avformat_close_input(&fmt_);
  // reader_ (and its AVIOContext) after the format context that reads through it.
}

Status VideoDemuxer::seek_backward(int stream_index, int64_t timestamp) {
  avformat_flush(fmt_);
  int rc = av_seek_frame(fmt_, stream_index, timestamp, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) rc = avformat_seek_file(fmt_, stream_index, std::numeric_limits<int64_t>::min(), timestamp, timestamp, 0);
  if (rc < 0) return invalid_argument("cannot seek in the video: " + av_error_string(rc));
  return ok_status();
}

bool VideoDemuxer::read(AVPacket* packet) { return av_read_frame(fmt_, packet) >= 0; }

StatusOr<VideoInfo> probe_video(std::span<const uint8_t> bytes, const VideoProbeOptions& options) {
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<VideoDemuxer> demuxer, VideoDemuxer::open(bytes, /*find_stream_info=*/true));
  AVFormatContext* fmt = demuxer->context();
  const AVCodec* decoder = nullptr;
  const int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (si == AVERROR_STREAM_NOT_FOUND) return invalid_argument("the container has no video stream");
  if (si == AVERROR_DECODER_NOT_FOUND || (si >= 0 && !decoder)) {
    const AVStream* st = nullptr;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
      if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) st = fmt->streams[i];
    }
    return invalid_argument(std::string("unsupported video codec '") +
                            (st ? avcodec_get_name(st->codecpar->codec_id) : "unknown") + "'");
  }
  if (si < 0) return invalid_argument("cannot select a video stream: " + av_error_string(si));
  AVStream* st = fmt->streams[si];
  if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) return invalid_argument("the container has only a cover picture");

  VideoInfo info;
  info.container = fmt->iformat->name;
  info.codec = avcodec_get_name(st->codecpar->codec_id);
  info.stream_index = si;
  info.width = st->codecpar->width;
  info.height = st->codecpar->height;
  if (st->time_base.num <= 0 || st->time_base.den <= 0) return invalid_argument("the video stream has no time base");
  info.time_base_num = st->time_base.num;
  info.time_base_den = st->time_base.den;
  if (info.width <= 0 || info.height <= 0) {
    return invalid_argument("the video stream's frame size is unknown (" + std::to_string(info.width) + "x" +
                            std::to_string(info.height) + ")");
  }
  double duration = 0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) duration = info.seconds(st->duration);
  else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) duration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  if (duration > options.max_duration_s) {
    return invalid_argument("video duration " + std::to_string(duration) + " s is over the limit max_duration_s = " +
                            std::to_string(options.max_duration_s) + " s by " +
                            std::to_string(duration - options.max_duration_s) + " s");
  }
  AVCodecParameters* par = avcodec_parameters_alloc();
  if (!par || avcodec_parameters_copy(par, st->codecpar) < 0) {
    avcodec_parameters_free(&par);
    return resource_exhausted("out of memory for the codec parameters");
  }
  info.codecpar = std::shared_ptr<const AVCodecParameters>(par, [](const AVCodecParameters* p) {
    auto* q = const_cast<AVCodecParameters*>(p);
    avcodec_parameters_free(&q);
  });

  // The packet scan: headers only, other streams skipped by the demuxer.
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != si) fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  AVPacket* pkt = av_packet_alloc();
  if (!pkt) return resource_exhausted("out of memory for a packet");
  int64_t decode_index = 0;
  Status status;
  while (demuxer->read(pkt)) {
    if (pkt->stream_index == si) {
      VideoFrameEntry e;
      e.pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
      e.dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
      e.decode_index = decode_index++;
      e.key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      if (e.pts == AV_NOPTS_VALUE) {
        status = invalid_argument("video packet " + std::to_string(e.decode_index) + " has no timestamp");
      } else if (decode_index > options.max_packets) {
        status = invalid_argument("the video stream has more than max_packets = " +
                                  std::to_string(options.max_packets) + " packets");
      }
      if (!status.ok()) break;
      if (e.key) info.keyframes.push_back(e);
      if (!(pkt->flags & AV_PKT_FLAG_DISCARD)) info.frames.push_back(e);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  MMS_RETURN_IF_ERROR(status);
  if (info.frames.empty()) return invalid_argument("the video stream has no frames");
  if (info.keyframes.empty()) return invalid_argument("the video stream has no keyframe");
  std::sort(info.frames.begin(), info.frames.end(),
            [](const VideoFrameEntry& a, const VideoFrameEntry& b) { return a.pts < b.pts; });
  for (size_t i = 1; i < info.frames.size(); ++i) {
    if (info.frames[i].pts == info.frames[i - 1].pts) {
      return invalid_argument("video frames " + std::to_string(i - 1) + " and " + std::to_string(i) +
                              " have the same timestamp " + std::to_string(info.frames[i].pts));
    }
  }
  info.fps = rational(st->avg_frame_rate);
  if (!(info.fps > 0) || !std::isfinite(info.fps)) info.fps = rational(st->r_frame_rate);
  const double span = info.seconds(info.frames.back().pts - info.frames.front().pts);
  if (!(info.fps > 0) || !std::isfinite(info.fps) || info.fps > 1000) {
    info.fps = span > 0 ? static_cast<double>(info.frames.size() - 1) / span : 1.0;
  }
  if (!(duration > 0)) duration = span + 1.0 / info.fps;
  info.duration_s = duration;
  if (duration > options.max_duration_s) {
    return invalid_argument("video duration " + std::to_string(duration) + " s is over the limit max_duration_s = " +
                            std::to_string(options.max_duration_s) + " s by " +
                            std::to_string(duration - options.max_duration_s) + " s");
  }
  return info;
}

}  // namespace mms::media
