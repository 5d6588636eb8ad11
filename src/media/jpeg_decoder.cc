// JPEG through libjpeg-turbo's libjpeg API with the settings Pillow uses (ISLOW IDCT, fancy upsampling,
// output RGB), so the pixels equal Pillow's when both link the same libjpeg-turbo. CMYK/YCCK are read
// as Adobe-inverted CMYK and converted with Pillow's cmyk2rgb. libjpeg reports errors by longjmp: the
// setjmp frame (run_jpeg) holds no C++ objects that need destruction; everything it fills lives in the
// caller's JpegJob.
#include <csetjmp>
#include <cstdio>
#include <cstring>
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "media/image_codecs.h"

namespace mms::media::detail {
namespace {

struct JpegError {
  jpeg_error_mgr pub;
  jmp_buf jmp;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
  bool too_many_scans;
  int max_scans;
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jmp, 1);
}

void on_emit_message(j_common_ptr cinfo, int msg_level) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (msg_level >= 0) return;  // trace messages
  // Warnings: "premature end of file" means the data is cut short: an error for us (Pillow raises
  // "image file is truncated" too). Other corrupt-data warnings (extraneous bytes before a marker)
  // are common in real files and harmless; libjpeg recovers.
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
    err->truncated = true;
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jmp, 1);
  }
  cinfo->err->num_warnings++;
}

void on_output_message(j_common_ptr) {}

void on_progress(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > err->max_scans) {
    err->too_many_scans = true;
    std::snprintf(err->message, sizeof(err->message), "progressive JPEG has more than %d scans", err->max_scans);
    std::longjmp(err->jmp, 1);
  }
}

struct JpegJob {
  std::span<const uint8_t> data;
  const ImageDecodeOptions* options = nullptr;
  RgbImage* out = nullptr;
  std::vector<uint8_t> exif;      // APP1 "Exif" payload
  std::vector<uint8_t> cmyk_row;  // scratch for CMYK
  Status status;                  // set on limit / allocation failures
  JpegError err;
};

// Pillow Convert.c cmyk2rgb on Adobe-inverted input (Pillow reads every CMYK JPEG as "CMYK;I").
void cmyk_inverted_row_to_rgb(const uint8_t* in, uint8_t* out, JDIMENSION width) {
  for (JDIMENSION x = 0; x < width; ++x) {
    const int nk = in[4 * x + 3];  // 255 - K, K = 255 - stored
    for (int c = 0; c < 3; ++c) {
      const int v = 255 - in[4 * x + c];                  // C/M/Y
      const int tmp = v * nk + 128;
      const int muldiv = ((tmp >> 8) + tmp) >> 8;         // MULDIV255(v, nk)
      const int r = nk - muldiv;
      out[3 * x + c] = static_cast<uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
    }
  }
}

// Returns false on a libjpeg error (message in job->err) or when job->status was set.
bool run_jpeg(JpegJob* job) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  cinfo.err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = on_error_exit;
  job->err.pub.emit_message = on_emit_message;
  job->err.pub.output_message = on_output_message;
  job->err.message[0] = '\0';
  if (setjmp(job->err.jmp)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, job->data.data(), static_cast<unsigned long>(job->data.size()));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);

  job->status = check_image_size(ImageFormat::kJpeg, cinfo.image_width, cinfo.image_height, *job->options);
  if (!job->status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      job->exif.assign(m->data, m->data + m->data_length);
      break;
    }
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);
  const JDIMENSION w = cinfo.output_width, h = cinfo.output_height;
  if (cinfo.output_components != (cmyk ? 4 : 3)) {
    std::snprintf(job->err.message, sizeof(job->err.message), "unexpected %d output components",
                  cinfo.output_components);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  job->status = allocate_rgb(job->out, static_cast<int32_t>(w), static_cast<int32_t>(h));
  if (job->status.ok() && cmyk) job->cmyk_row.resize(static_cast<size_t>(w) * 4);
  if (!job->status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  while (cinfo.output_scanline < h) {
    uint8_t* dst = job->out->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * w * 3;
    JSAMPROW row = cmyk ? job->cmyk_row.data() : dst;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
    if (cmyk) cmyk_inverted_row_to_rgb(job->cmyk_row.data(), dst, w);
  }
  // No jpeg_finish_decompress: the pixels are complete; a missing EOI after them is not worth failing.
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

StatusOr<RgbImage> decode_jpeg(std::span<const uint8_t> data, const ImageDecodeOptions& options) {
  RgbImage image;
  JpegJob job;
  job.data = data;
  job.options = &options;
  job.out = &image;
  job.err.truncated = false;
  job.err.too_many_scans = false;
  job.err.max_scans = options.max_jpeg_scans;
  if (!run_jpeg(&job)) {
    if (!job.status.ok()) return job.status;
    if (job.err.truncated) return out_of_range(std::string("truncated jpeg data: ") + job.err.message);
    if (job.err.too_many_scans) {
      return resource_exhausted(std::string("jpeg rejected: ") + job.err.message + " (max_jpeg_scans)");
    }
    return invalid_argument(std::string("corrupt jpeg data: ") + job.err.message);
  }
  if (options.apply_exif_orientation && !job.exif.empty()) {
    apply_exif_orientation(&image, exif_orientation(job.exif));
  }
  return image;
}

StatusOr<ImageInfo> probe_jpeg(std::span<const uint8_t> data) {
  // Walk the markers to the first SOFn; no pixel decoding.
  ImageInfo info;
  info.format = ImageFormat::kJpeg;
  size_t i = 2;
  while (i + 4 <= data.size()) {
    if (data[i] != 0xFF) return invalid_argument("corrupt jpeg header: expected a marker at byte " + std::to_string(i));
    const uint8_t marker = data[i + 1];
    if (marker == 0xFF) { ++i; continue; }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
    const size_t len = (static_cast<size_t>(data[i + 2]) << 8) | data[i + 3];
    if (len < 2) return invalid_argument("corrupt jpeg header: marker length " + std::to_string(len));
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > data.size()) break;
      info.height = (data[i + 5] << 8) | data[i + 6];
      info.width = (data[i + 7] << 8) | data[i + 8];
      if (info.width == 0 || info.height == 0) return invalid_argument("corrupt jpeg header: zero image size");
      return info;
    }
    if (marker == 0xDA || marker == 0xD9) break;
    i += 2 + len;
  }
  return out_of_range("truncated jpeg header: no frame header (SOF) in " + std::to_string(data.size()) + " bytes");
}

}  // namespace mms::media::detail
