// Format sniffing, limits, the shared pixel helpers and EXIF orientation; dispatch to the per-format
// decoders in *_decoder.cc.
#include "media/image_decoder.h"

#include <libexif/exif-data.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

#include "media/image_codecs.h"

namespace mms::media {
namespace {

bool starts_with(std::span<const uint8_t> d, const char* magic, size_t n, size_t offset = 0) {
  return d.size() >= offset + n && std::memcmp(d.data() + offset, magic, n) == 0;
}

std::string human_bytes(int64_t n) {
  if (n >= (1ll << 20)) return std::to_string(n >> 20) + " MiB";
  if (n >= (1ll << 10)) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

ImageFormat sniff_image_format(std::span<const uint8_t> d) {
  if (starts_with(d, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts_with(d, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts_with(d, "RIFF", 4) && starts_with(d, "WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts_with(d, "GIF87a", 6) || starts_with(d, "GIF89a", 6)) return ImageFormat::kGif;
  return ImageFormat::kUnknown;
}

namespace {

Status unsupported(std::span<const uint8_t> d) {
  if (d.empty()) return invalid_argument("empty image data (0 bytes)");
  std::string hint;
  if (starts_with(d, "BM", 2)) hint = " (looks like BMP)";
  else if (starts_with(d, "II*\0", 4) || starts_with(d, "MM\0*", 4)) hint = " (looks like TIFF)";
  else if (starts_with(d, "ftyp", 4, 4)) hint = " (looks like HEIF/AVIF or MP4)";
  else if (starts_with(d, "<", 1) || starts_with(d, "\xEF\xBB\xBF<", 4)) hint = " (looks like text/SVG/HTML)";
  return invalid_argument("unsupported image format" + hint + "; supported: JPEG, PNG, WebP, GIF");
}

}  // namespace

StatusOr<ImageInfo> probe_image(std::span<const uint8_t> data) {
  switch (sniff_image_format(data)) {
    case ImageFormat::kJpeg: return detail::probe_jpeg(data);
    case ImageFormat::kPng: return detail::probe_png(data);
    case ImageFormat::kWebp: return detail::probe_webp(data);
    case ImageFormat::kGif: return detail::probe_gif(data);
    case ImageFormat::kUnknown: break;
  }
  return unsupported(data);
}

StatusOr<RgbImage> decode_image(std::span<const uint8_t> data, const ImageDecodeOptions& options) {
  if (static_cast<int64_t>(data.size()) > options.max_encoded_bytes) {
    return resource_exhausted("encoded image is " + human_bytes(static_cast<int64_t>(data.size())) +
                              " (" + std::to_string(data.size()) + " bytes), over the limit of " +
                              human_bytes(options.max_encoded_bytes) + " (max_encoded_bytes)");
  }
  const ImageFormat format = sniff_image_format(data);
  StatusOr<RgbImage> image = unsupported(data);
  switch (format) {
    case ImageFormat::kJpeg: image = detail::decode_jpeg(data, options); break;
    case ImageFormat::kPng: image = detail::decode_png(data, options); break;
    case ImageFormat::kWebp: image = detail::decode_webp(data, options); break;
    case ImageFormat::kGif: image = detail::decode_gif(data, options); break;
    case ImageFormat::kUnknown: break;
  }
  return image;
}

void apply_exif_orientation(RgbImage* image, int orientation) {
  if (orientation < 2 || orientation > 8) return;
  const int32_t w = image->width, h = image->height;
  // Orientations 5..8 swap the axes. For each output pixel, the source pixel (Pillow's transpose ops:
  // 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 270 (= 90 clockwise), 7 transverse, 8 rotate 90).
  const bool swap = orientation >= 5;
  const int32_t ow = swap ? h : w, oh = swap ? w : h;
  std::vector<uint8_t> out(image->pixels.size());
  for (int32_t y = 0; y < oh; ++y) {
    for (int32_t x = 0; x < ow; ++x) {
      int32_t sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        case 8: sx = w - 1 - y; sy = x; break;
      }
      const uint8_t* s = &image->pixels[(static_cast<size_t>(sy) * w + sx) * 3];
      uint8_t* d = &out[(static_cast<size_t>(y) * ow + x) * 3];
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    }
  }
  image->pixels.swap(out);
  image->width = ow;
  image->height = oh;
}

namespace detail {

Status check_image_size(ImageFormat format, int64_t width, int64_t height, const ImageDecodeOptions& options) {
  const char* name = image_format_name(format);
  if (width <= 0 || height <= 0) {
    return invalid_argument(std::string("corrupt ") + name + " header: image size " + std::to_string(width) +
                            "x" + std::to_string(height));
  }
  const int64_t pixels = width * height;  // both < 2^32: no overflow
  if (pixels > options.max_pixels) {
    const double ratio = static_cast<double>(pixels) / static_cast<double>(options.max_pixels);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", ratio);
    return resource_exhausted(std::string(name) + " image is " + std::to_string(width) + "x" +
                              std::to_string(height) + " = " + std::to_string(pixels) +
                              " pixels, over the limit of " + std::to_string(options.max_pixels) +
                              " pixels (max_pixels) by " + buf + "x; send a smaller image");
  }
  return ok_status();
}

Status allocate_rgb(RgbImage* image, int32_t width, int32_t height) {
  try {
    image->pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, 0);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory allocating a " + std::to_string(width) + "x" +
                              std::to_string(height) + " image");
  }
  image->width = width;
  image->height = height;
  return ok_status();
}

void rgba_row_to_rgb(const uint8_t* rgba, uint8_t* rgb, int64_t width, AlphaMode mode) {
  if (mode == AlphaMode::kDrop) {
    for (int64_t x = 0; x < width; ++x) {
      rgb[3 * x + 0] = rgba[4 * x + 0];
      rgb[3 * x + 1] = rgba[4 * x + 1];
      rgb[3 * x + 2] = rgba[4 * x + 2];
    }
    return;
  }
  for (int64_t x = 0; x < width; ++x) {
    const uint32_t a = rgba[4 * x + 3];
    for (int c = 0; c < 3; ++c) {
      // Pillow Paste.c: BLEND(mask, out, in) = DIV255(out * (255 - mask) + in * mask), out = 255 (white).
      uint32_t tmp = 255u * (255u - a) + rgba[4 * x + c] * a + 128u;
      rgb[3 * x + c] = static_cast<uint8_t>(((tmp >> 8) + tmp) >> 8);
    }
  }
}

int exif_orientation(std::span<const uint8_t> exif) {
  if (exif.size() < 8 || exif.size() > (1u << 20)) return 1;
  // libexif wants the "Exif\0\0" header (it also accepts a whole JPEG); PNG eXIf chunks lack it.
  std::vector<uint8_t> buf;
  if (!starts_with(exif, "Exif\0\0", 6)) {
    buf.assign({'E', 'x', 'i', 'f', 0, 0});
  }
  buf.insert(buf.end(), exif.begin(), exif.end());
  ExifData* ed = exif_data_new();
  if (!ed) return 1;
  // Only IFD0's orientation is needed: skip the maker note and tag fixing.
  exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_set_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
  exif_data_load_data(ed, buf.data(), static_cast<unsigned int>(buf.size()));
  int orientation = 1;
  ExifEntry* e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2) {
    const int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
    if (v >= 1 && v <= 8) orientation = v;
  }
  exif_data_unref(ed);
  return orientation;
}

}  // namespace detail
}  // namespace mms::media
