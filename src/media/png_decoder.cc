// PNG through libpng's classic API with transforms that reproduce Pillow's modes: palette and low-bit
// gray expanded, tRNS turned into alpha, gray replicated to RGB, 16-bit samples cut to the high byte
// (Pillow's "RGB;16B"/"RGBA;16B"/"LA;16B" unpackers do the same), no gamma or colour management.
// libpng reports errors by longjmp: the setjmp frame (run_png) owns no C++ objects; what it fills
// lives in the caller's PngJob.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>

#include "media/image_codecs.h"

namespace mms::media::detail {
namespace {

struct PngJob {
  std::span<const uint8_t> data;
  size_t offset = 0;
  const ImageDecodeOptions* options = nullptr;
  RgbImage* out = nullptr;
  std::vector<uint8_t> rgba;            // whole image as RGBA when it has transparency
  std::vector<png_bytep> rows;          // row pointers for png_read_image
  std::vector<uint8_t> exif;            // eXIf chunk
  Status status;                        // limit / allocation failures
  char message[256] = {0};
  bool truncated = false;
  bool pixels_done = false;
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void on_png_read(png_structp png, png_bytep out, png_size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (n > job->data.size() - job->offset) {
    job->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(out, job->data.data() + job->offset, n);
  job->offset += n;
}

void take_exif(png_structp png, png_infop info, PngJob* job) {
  png_uint_32 num = 0;
  png_bytep exif = nullptr;
  if (job->exif.empty() && png_get_eXIf_1(png, info, &num, &exif) != 0 && exif && num > 0) {
    job->exif.assign(exif, exif + num);
  }
}

bool allocate(PngJob* job, png_uint_32 w, png_uint_32 h, bool alpha) {
  job->status = allocate_rgb(job->out, static_cast<int32_t>(w), static_cast<int32_t>(h));
  if (!job->status.ok()) return false;
  try {
    if (alpha) job->rgba.resize(static_cast<size_t>(w) * h * 4);
    job->rows.resize(h);
  } catch (const std::bad_alloc&) {
    job->status = resource_exhausted("out of memory decoding a " + std::to_string(w) + "x" + std::to_string(h) +
                                     " png image");
    return false;
  }
  uint8_t* base = alpha ? job->rgba.data() : job->out->pixels.data();
  const size_t stride = static_cast<size_t>(w) * (alpha ? 4 : 3);
  for (png_uint_32 y = 0; y < h; ++y) job->rows[y] = base + y * stride;
  return true;
}

// Returns true when the pixels were decoded (job->out filled, RGBA in job->rgba if it had alpha).
bool run_png(PngJob* job, bool* has_alpha) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return job->pixels_done;  // an error after the pixels (a bad chunk before IEND) is ignored
  }
  png_set_read_fn(png, job, on_png_read);
  png_set_chunk_malloc_max(png, 8u << 20);  // caps iCCP/zTXt/eXIf decompression
  png_read_info(png, info);

  png_uint_32 w = 0, h = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  job->status = check_image_size(ImageFormat::kPng, w, h, *job->options);
  if (!job->status.ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  take_exif(png, info, job);

  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (trns) png_set_tRNS_to_alpha(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const png_byte channels = png_get_channels(png, info);
  *has_alpha = channels == 4;
  if (png_get_bit_depth(png, info) != 8 || (channels != 3 && channels != 4)) {
    std::snprintf(job->message, sizeof(job->message), "unexpected layout after transforms (%d channels)", channels);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (!allocate(job, w, h, *has_alpha)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_read_image(png, job->rows.data());
  job->pixels_done = true;
  png_read_end(png, info);  // picks up an eXIf chunk stored after the image data
  take_exif(png, info, job);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

StatusOr<RgbImage> decode_png(std::span<const uint8_t> data, const ImageDecodeOptions& options) {
  RgbImage image;
  PngJob job;
  job.data = data;
  job.options = &options;
  job.out = &image;
  bool has_alpha = false;
  if (!run_png(&job, &has_alpha)) {
    if (!job.status.ok()) return job.status;
    if (job.truncated) return out_of_range("truncated png data: the file ends before the image data is complete");
    return invalid_argument(std::string("corrupt png data: ") + (job.message[0] ? job.message : "libpng failed"));
  }
  if (has_alpha) {
    const size_t n = static_cast<size_t>(image.width) * image.height;
    rgba_row_to_rgb(job.rgba.data(), image.pixels.data(), static_cast<int64_t>(n), options.alpha);
  }
  if (options.apply_exif_orientation && !job.exif.empty()) {
    apply_exif_orientation(&image, exif_orientation(job.exif));
  }
  return image;
}

StatusOr<ImageInfo> probe_png(std::span<const uint8_t> d) {
  if (d.size() < 8 + 8 + 13) return out_of_range("truncated png header: " + std::to_string(d.size()) + " bytes");
  if (std::memcmp(d.data() + 12, "IHDR", 4) != 0) return invalid_argument("corrupt png header: first chunk is not IHDR");
  auto be32 = [&](size_t o) {
    return (static_cast<uint32_t>(d[o]) << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3];
  };
  ImageInfo info;
  info.format = ImageFormat::kPng;
  const uint32_t w = be32(16), h = be32(20);
  if (w == 0 || h == 0 || w > 0x7FFFFFFF || h > 0x7FFFFFFF) {
    return invalid_argument("corrupt png header: image size " + std::to_string(w) + "x" + std::to_string(h));
  }
  info.width = static_cast<int32_t>(w);
  info.height = static_cast<int32_t>(h);
  const uint8_t color_type = d[25];
  info.has_alpha = (color_type & 4) != 0 || color_type == 3;  // alpha channel, or a palette that may have tRNS
  return info;
}

}  // namespace mms::media::detail
