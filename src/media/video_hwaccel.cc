// Opening the process's hardware decoding device (see video_hwaccel.h).
#include "media/video_hwaccel.h"

extern "C" {
#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>
}

#include "media/video_demuxer.h"

namespace mms::media {

StatusOr<VideoHwaccel> parse_video_hwaccel(std::string_view name) {
  if (name == "none") return VideoHwaccel::kNone;
  if (name == "auto") return VideoHwaccel::kAuto;
  if (name == "cuda") return VideoHwaccel::kCuda;
  return invalid_argument("video hwaccel must be none, auto or cuda, got '" + std::string(name) + "'");
}

const char* video_hwaccel_name(VideoHwaccel mode) {
  switch (mode) {
    case VideoHwaccel::kNone: return "none";
    case VideoHwaccel::kAuto: return "auto";
    case VideoHwaccel::kCuda: return "cuda";
  }
  return "?";
}

HwDecodeDevice::~HwDecodeDevice() { av_buffer_unref(&ctx_); }

const char* HwDecodeDevice::name() const { return av_hwdevice_get_type_name(static_cast<AVHWDeviceType>(type_)); }

StatusOr<std::shared_ptr<const HwDecodeDevice>> open_hw_decode_device(VideoHwaccel mode, std::string* why) {
  if (mode == VideoHwaccel::kNone) return std::shared_ptr<const HwDecodeDevice>();
  std::shared_ptr<HwDecodeDevice> device(new HwDecodeDevice());
  device->type_ = AV_HWDEVICE_TYPE_CUDA;
  quiet_ffmpeg_log();  // the reason comes back in the Status
  // The first CUDA device; FFmpeg loads libcuda.so.1 here and fails fast without a driver or a GPU.
  const int rc = av_hwdevice_ctx_create(&device->ctx_, AV_HWDEVICE_TYPE_CUDA, nullptr, nullptr, 0);
  if (rc < 0) {
    std::string reason = "no CUDA device for video decoding (" + av_error_string(rc) +
                         "; FFmpeg needs the NVIDIA driver's libcuda.so.1 and a GPU)";
    if (mode == VideoHwaccel::kCuda) return invalid_argument(std::move(reason));
    if (why) *why = std::move(reason);
    return std::shared_ptr<const HwDecodeDevice>();
  }
  return std::shared_ptr<const HwDecodeDevice>(std::move(device));
}

}  // namespace mms::media
