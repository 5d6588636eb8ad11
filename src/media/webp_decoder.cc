// WebP through libwebp: still images decoded straight into our buffer (RGB, or RGBA when the file has
// alpha), animations through WebPAnimDecoder (first frame on the canvas, as Pillow does). The EXIF
// chunk, when present, gives the orientation. libwebp returns status codes; no longjmp here.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>
#include <new>

#include "media/image_codecs.h"

namespace mms::media::detail {
namespace {

const char* vp8_status_name(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data";
  }
  return "unknown error";
}

Status webp_error(VP8StatusCode s) {
  if (s == VP8_STATUS_NOT_ENOUGH_DATA) return out_of_range("truncated webp data: the file ends early");
  if (s == VP8_STATUS_OUT_OF_MEMORY) return resource_exhausted("out of memory decoding webp");
  return invalid_argument(std::string("corrupt webp data: ") + vp8_status_name(s));
}

struct DemuxDeleter {
  void operator()(WebPDemuxer* d) const { WebPDemuxDelete(d); }
};
struct AnimDeleter {
  void operator()(WebPAnimDecoder* d) const { WebPAnimDecoderDelete(d); }
};

int webp_orientation(const WebPData& data) {
  std::unique_ptr<WebPDemuxer, DemuxDeleter> demux(WebPDemux(&data));
  if (!demux) return 1;
  if ((WebPDemuxGetI(demux.get(), WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG) == 0) return 1;
  WebPChunkIterator it;
  int orientation = 1;
  if (WebPDemuxGetChunk(demux.get(), "EXIF", 1, &it)) {
    orientation = exif_orientation(std::span<const uint8_t>(it.chunk.bytes, it.chunk.size));
    WebPDemuxReleaseChunkIterator(&it);
  }
  return orientation;
}

StatusOr<RgbImage> decode_animated(const WebPData& data, const ImageDecodeOptions& options) {
  WebPAnimDecoderOptions dec_options;
  if (!WebPAnimDecoderOptionsInit(&dec_options)) return internal_error("webp: incompatible libwebpdemux");
  dec_options.color_mode = MODE_RGBA;
  dec_options.use_threads = 0;
  std::unique_ptr<WebPAnimDecoder, AnimDeleter> dec(WebPAnimDecoderNew(&data, &dec_options));
  if (!dec) return invalid_argument("corrupt webp animation: cannot parse its frames");
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(dec.get(), &info)) return invalid_argument("corrupt webp animation header");
  MMS_RETURN_IF_ERROR(check_image_size(ImageFormat::kWebp, info.canvas_width, info.canvas_height, options));
  uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(dec.get(), &canvas, &timestamp) || !canvas) {
    return invalid_argument("corrupt webp animation: its first frame does not decode");
  }
  RgbImage image;
  MMS_RETURN_IF_ERROR(allocate_rgb(&image, static_cast<int32_t>(info.canvas_width),
                                   static_cast<int32_t>(info.canvas_height)));
  rgba_row_to_rgb(canvas, image.pixels.data(), image.num_pixels(), options.alpha);
  return image;
}

}  // namespace

StatusOr<RgbImage> decode_webp(std::span<const uint8_t> data, const ImageDecodeOptions& options) {
  if (data.size() >= 12) {  // RIFF size field: everything after the first 8 bytes
    const uint64_t riff = data[4] | (data[5] << 8) | (data[6] << 16) | (static_cast<uint64_t>(data[7]) << 24);
    if (riff + 8 > data.size()) {
      return out_of_range("truncated webp data: the RIFF header declares " + std::to_string(riff + 8) +
                          " bytes, got " + std::to_string(data.size()));
    }
  }
  WebPBitstreamFeatures features;
  VP8StatusCode s = WebPGetFeatures(data.data(), data.size(), &features);
  if (s != VP8_STATUS_OK) return webp_error(s);
  MMS_RETURN_IF_ERROR(check_image_size(ImageFormat::kWebp, features.width, features.height, options));
  const WebPData webp_data{data.data(), data.size()};
  StatusOr<RgbImage> result = internal_error("unreachable");
  if (features.has_animation) {
    result = decode_animated(webp_data, options);
  } else {
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return internal_error("webp: incompatible libwebp");
    RgbImage image;
    MMS_RETURN_IF_ERROR(allocate_rgb(&image, features.width, features.height));
    std::vector<uint8_t> rgba;
    const bool alpha = features.has_alpha != 0;
    if (alpha) {
      try {
        rgba.resize(static_cast<size_t>(image.num_pixels()) * 4);
      } catch (const std::bad_alloc&) {
        return resource_exhausted("out of memory decoding webp");
      }
    }
    config.output.colorspace = alpha ? MODE_RGBA : MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = alpha ? rgba.data() : image.pixels.data();
    config.output.u.RGBA.stride = features.width * (alpha ? 4 : 3);
    config.output.u.RGBA.size = alpha ? rgba.size() : image.pixels.size();
    s = WebPDecode(data.data(), data.size(), &config);
    WebPFreeDecBuffer(&config.output);  // no-op for external memory
    if (s != VP8_STATUS_OK) return webp_error(s);
    if (alpha) rgba_row_to_rgb(rgba.data(), image.pixels.data(), image.num_pixels(), options.alpha);
    result = std::move(image);
  }
  if (result.ok() && options.apply_exif_orientation) {
    apply_exif_orientation(&*result, webp_orientation(webp_data));
  }
  return result;
}

StatusOr<ImageInfo> probe_webp(std::span<const uint8_t> data) {
  WebPBitstreamFeatures features;
  const VP8StatusCode s = WebPGetFeatures(data.data(), data.size(), &features);
  if (s != VP8_STATUS_OK) return webp_error(s);
  ImageInfo info;
  info.format = ImageFormat::kWebp;
  info.width = features.width;
  info.height = features.height;
  info.has_alpha = features.has_alpha != 0;
  info.animated = features.has_animation != 0;
  return info;
}

}  // namespace mms::media::detail
