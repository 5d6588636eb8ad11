#include "testing/video/video_clip_writer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mms::testing {
namespace {

std::string av_err(int rc) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(rc, buf, sizeof(buf));
  return buf;
}

// A seekable in-memory output (the MP4 muxer seeks back to patch sizes).
struct MemoryWriter {
  std::vector<uint8_t> data;
  int64_t pos = 0;
  static int write(void* opaque, uint8_t* buf, int size) {
    auto* w = static_cast<MemoryWriter*>(opaque);
    if (w->pos + size > static_cast<int64_t>(w->data.size())) w->data.resize(static_cast<size_t>(w->pos + size));
    std::memcpy(w->data.data() + w->pos, buf, static_cast<size_t>(size));
    w->pos += size;
    return size;
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* w = static_cast<MemoryWriter*>(opaque);
    const int64_t size = static_cast<int64_t>(w->data.size());
    if (whence & AVSEEK_SIZE) return size;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: w->pos = offset; break;
      case SEEK_CUR: w->pos += offset; break;
      case SEEK_END: w->pos = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    return w->pos;
  }
};

// Owns everything one encode allocates.
struct Encoder {
  MemoryWriter out;
  AVIOContext* avio = nullptr;
  AVFormatContext* oc = nullptr;
  AVCodecContext* enc = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  SwsContext* sws = nullptr;
  ~Encoder() {
    sws_freeContext(sws);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    avcodec_free_context(&enc);
    avformat_free_context(oc);
    if (avio) {
      av_freep(&avio->buffer);
      avio_context_free(&avio);
    }
  }

  Status drain(AVStream* st) {
    for (;;) {
      int rc = avcodec_receive_packet(enc, pkt);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok_status();
      if (rc < 0) return internal_error("avcodec_receive_packet: " + av_err(rc));
      av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      rc = av_interleaved_write_frame(oc, pkt);
      if (rc < 0) return internal_error("av_interleaved_write_frame: " + av_err(rc));
    }
  }
};

AVPixelFormat pick_pix_fmt(const AVCodec* codec, const std::string& wanted) {
  if (!wanted.empty()) return av_get_pix_fmt(wanted.c_str());
  if (!codec->pix_fmts) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == AV_PIX_FMT_YUV420P) return *p;
  }
  return codec->pix_fmts[0];
}

}  // namespace

bool video_encoder_available(const std::string& name) { return avcodec_find_encoder_by_name(name.c_str()) != nullptr; }

StatusOr<std::vector<uint8_t>> encode_video_clip(std::span<const media::RgbImage> frames, const VideoClipOptions& o) {
  if (frames.empty() && (o.width <= 0 || o.height <= 0)) return invalid_argument("no frames");
  const int w = frames.empty() ? o.width : frames[0].width;
  const int h = frames.empty() ? o.height : frames[0].height;
  const AVCodec* codec = avcodec_find_encoder_by_name(o.encoder.c_str());
  if (!codec) return invalid_argument("no encoder " + o.encoder);
  if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
  setenv("SVT_LOG", "1", 0);  // SVT-AV1 logs through its own switch: errors only
  Encoder e;
  int rc = avformat_alloc_output_context2(&e.oc, nullptr, o.container.c_str(), nullptr);
  if (rc < 0 || !e.oc) return invalid_argument("no muxer " + o.container + ": " + av_err(rc));
  constexpr int kBuf = 64 << 10;
  auto* buf = static_cast<uint8_t*>(av_malloc(kBuf));
  e.avio = avio_alloc_context(buf, kBuf, 1, &e.out, nullptr, &MemoryWriter::write, &MemoryWriter::seek);
  e.oc->pb = e.avio;
  e.oc->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* st = avformat_new_stream(e.oc, nullptr);
  e.enc = avcodec_alloc_context3(codec);
  e.enc->width = w;
  e.enc->height = h;
  e.enc->time_base = AVRational{1, o.fps};
  e.enc->framerate = AVRational{o.fps, 1};
  e.enc->gop_size = o.gop;
  if (o.max_b_frames >= 0) e.enc->max_b_frames = o.max_b_frames;
  e.enc->pix_fmt = pick_pix_fmt(codec, o.pix_fmt);
  e.enc->thread_count = 1;
  if (e.oc->oformat->flags & AVFMT_GLOBALHEADER) e.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  for (const auto& [k, v] : o.codec_options) {
    rc = av_opt_set(e.enc, k.c_str(), v.c_str(), AV_OPT_SEARCH_CHILDREN);
    if (rc < 0) return invalid_argument("encoder option " + k + "=" + v + ": " + av_err(rc));
  }
  rc = avcodec_open2(e.enc, codec, nullptr);
  if (rc < 0) return invalid_argument("cannot open encoder " + o.encoder + ": " + av_err(rc));
  avcodec_parameters_from_context(st->codecpar, e.enc);
  st->time_base = e.enc->time_base;
  st->avg_frame_rate = e.enc->framerate;
  rc = avformat_write_header(e.oc, nullptr);
  if (rc < 0) return internal_error("avformat_write_header: " + av_err(rc));

  e.frame = av_frame_alloc();
  e.pkt = av_packet_alloc();
  e.frame->format = e.enc->pix_fmt;
  e.frame->width = w;
  e.frame->height = h;
  if ((rc = av_frame_get_buffer(e.frame, 0)) < 0) return internal_error("av_frame_get_buffer: " + av_err(rc));
  e.sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, e.enc->pix_fmt,
                         SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, nullptr, nullptr,
                         nullptr);
  if (!e.sws) return internal_error("sws_getContext");
  for (size_t i = 0; i < frames.size(); ++i) {
    const media::RgbImage& f = frames[i];
    if (f.width != w || f.height != h) return invalid_argument("frames differ in size");
    if ((rc = av_frame_make_writable(e.frame)) < 0) return internal_error("av_frame_make_writable: " + av_err(rc));
    const uint8_t* src[4] = {f.pixels.data(), nullptr, nullptr, nullptr};
    const int src_stride[4] = {w * 3, 0, 0, 0};
    sws_scale(e.sws, src, src_stride, 0, h, e.frame->data, e.frame->linesize);
    e.frame->pts = static_cast<int64_t>(i);
    const bool force = o.force_keyframes && o.gop > 0 && i % static_cast<size_t>(o.gop) == 0;
    e.frame->pict_type = force ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    e.frame->key_frame = e.frame->pict_type == AV_PICTURE_TYPE_I;
    if ((rc = avcodec_send_frame(e.enc, e.frame)) < 0) return internal_error("avcodec_send_frame: " + av_err(rc));
    MMS_RETURN_IF_ERROR(e.drain(st));
  }
  if ((rc = avcodec_send_frame(e.enc, nullptr)) < 0) return internal_error("flush: " + av_err(rc));
  MMS_RETURN_IF_ERROR(e.drain(st));
  if ((rc = av_write_trailer(e.oc)) < 0) return internal_error("av_write_trailer: " + av_err(rc));
  avio_flush(e.avio);
  return std::move(e.out.data);
}

StatusOr<std::vector<uint8_t>> encode_lossless_video(std::span<const media::RgbImage> frames, int fps) {
  VideoClipOptions o;
  o.encoder = "ffv1";
  o.container = "matroska";
  o.fps = fps;
  o.gop = 1;
  o.pix_fmt = "bgr0";
  return encode_video_clip(frames, o);
}

void indexed_frame_color(int index, uint8_t rgb[3]) {
  rgb[0] = static_cast<uint8_t>(40 + (index * 67) % 180);
  rgb[1] = static_cast<uint8_t>(40 + (index * 131) % 180);
  rgb[2] = static_cast<uint8_t>(40 + (index * 29) % 180);
}

media::RgbImage make_indexed_frame(int index, int width, int height) {
  media::RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.assign(static_cast<size_t>(width) * height * 3, 128);
  auto fill = [&](int x0, int y0, int x1, int y1, const uint8_t c[3]) {
    for (int y = std::max(0, y0); y < std::min(height, y1); ++y) {
      for (int x = std::max(0, x0); x < std::min(width, x1); ++x) {
        std::memcpy(&img.pixels[(static_cast<size_t>(y) * width + x) * 3], c, 3);
      }
    }
  };
  const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
  for (int b = 0; b < 10; ++b) fill(b * 16, 0, b * 16 + 16, 32, (index >> b) & 1 ? white : black);
  uint8_t band[3];
  indexed_frame_color(index, band);
  fill(0, 32, width, 48, band);
  const uint8_t square[3] = {220, 40, 40};
  const int x = (index * 4) % std::max(1, width - 16);
  fill(x, 56, x + 16, 72, square);
  return img;
}

std::vector<media::RgbImage> make_indexed_frames(int count, int width, int height) {
  std::vector<media::RgbImage> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) out.push_back(make_indexed_frame(i, width, height));
  return out;
}

int read_frame_index(const media::RgbImage& f) {
  if (f.width < 160 || f.height < 32) return -1;
  int index = 0;
  for (int b = 0; b < 10; ++b) {
    int sum = 0;
    for (int y = 12; y < 20; ++y) {
      for (int x = b * 16 + 4; x < b * 16 + 12; ++x) {
        const uint8_t* p = &f.pixels[(static_cast<size_t>(y) * f.width + x) * 3];
        sum += p[0] + p[1] + p[2];
      }
    }
    const int mean = sum / (8 * 8 * 3);
    if (mean > 170) index |= 1 << b;
    else if (mean > 85) return -1;  // neither black nor white: not an indexed frame
  }
  return index;
}

}  // namespace mms::testing
