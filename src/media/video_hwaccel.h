// Hardware video decoding: NVDEC through FFmpeg's CUDA hwaccel (Debian's FFmpeg has it; it loads libcuda
// at run time, so nothing is needed at build time). One device context is opened per process and shared by
// every decoder; each decoder that gets it decodes on the GPU where the codec has a CUDA hwaccel (H.264,
// H.265, VP8/9, AV1, ...) and on the CPU otherwise, and only the sampled frames are copied back to host
// memory for conversion.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct AVBufferRef;

namespace mms::media {

enum class VideoHwaccel {
  kNone,  // CPU decoders only
  kAuto,  // the CUDA device when one opens, else the CPU
  kCuda,  // the CUDA device, or an error at start-up
};

// "none" | "auto" | "cuda"; anything else is InvalidArgument naming the accepted values.
StatusOr<VideoHwaccel> parse_video_hwaccel(std::string_view name);
const char* video_hwaccel_name(VideoHwaccel mode);

// An opened FFmpeg hardware device context (AVHWDeviceContext); immutable and shared.
class HwDecodeDevice {
 public:
  ~HwDecodeDevice();
  HwDecodeDevice(const HwDecodeDevice&) = delete;
  HwDecodeDevice& operator=(const HwDecodeDevice&) = delete;

  AVBufferRef* context() const { return ctx_; }  // a decoder takes its own reference (av_buffer_ref)
  int device_type() const { return type_; }      // AVHWDeviceType
  const char* name() const;                      // FFmpeg's name of the device type ("cuda")

 private:
  friend StatusOr<std::shared_ptr<const HwDecodeDevice>> open_hw_decode_device(VideoHwaccel, std::string*);
  HwDecodeDevice() = default;
  AVBufferRef* ctx_ = nullptr;
  int type_ = 0;
};

// kNone -> nullptr. kAuto -> the device, or nullptr with `*why` (if given) saying why there is none.
// kCuda -> the device, or InvalidArgument saying why it cannot be opened.
StatusOr<std::shared_ptr<const HwDecodeDevice>> open_hw_decode_device(VideoHwaccel mode, std::string* why = nullptr);

}  // namespace mms::media
