// GIF through giflib's record API: only records up to the first image are read (a file with thousands
// of frames costs no more than one). The first frame is placed on the logical screen the way Pillow's
// GifImagePlugin does: the canvas grows to hold a frame that overhangs it, pixels outside the frame take
// the transparent index (or index 0), and indices map through the frame's colour table (local, else
// global, else a gray ramp; indices past the table's end are gray (i, i, i), as in Pillow's palette).
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "media/image_codecs.h"

namespace mms::media::detail {
namespace {

struct Reader {
  std::span<const uint8_t> data;
  size_t offset = 0;
  bool hit_end = false;
};

int read_fn(GifFileType* gif, GifByteType* out, int n) {
  auto* r = static_cast<Reader*>(gif->UserData);
  const size_t want = n < 0 ? 0 : static_cast<size_t>(n);
  const size_t got = std::min(want, r->data.size() - r->offset);
  if (got < want) r->hit_end = true;
  std::memcpy(out, r->data.data() + r->offset, got);
  r->offset += got;
  return static_cast<int>(got);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int err = 0;
    DGifCloseFile(gif, &err);
  }
};

Status gif_error(int code, const Reader& reader) {
  if (reader.hit_end || code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON) {
    return out_of_range("truncated gif data: the file ends before the first frame is complete");
  }
  const char* msg = GifErrorString(code);
  return invalid_argument(std::string("corrupt gif data: ") + (msg ? msg : "unknown error"));
}

}  // namespace

StatusOr<RgbImage> decode_gif(std::span<const uint8_t> data, const ImageDecodeOptions& options) {
  Reader reader{data};
  int err = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_fn, &err));
  if (!gif) return gif_error(err, reader);
  if (gif->SWidth > 0 && gif->SHeight > 0) {  // a zero screen takes the first frame's size (Pillow)
    MMS_RETURN_IF_ERROR(check_image_size(ImageFormat::kGif, gif->SWidth, gif->SHeight, options));
  }

  int transparent = -1;
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return gif_error(gif->Error, reader);
    if (type == TERMINATE_RECORD_TYPE) return invalid_argument("corrupt gif data: no image in the file");
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif.get(), &code, &ext) == GIF_ERROR) return gif_error(gif->Error, reader);
      if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
        transparent = (ext[1] & 1) ? ext[4] : -1;
      }
      while (ext) {
        if (DGifGetExtensionNext(gif.get(), &ext) == GIF_ERROR) return gif_error(gif->Error, reader);
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return gif_error(gif->Error, reader);
    break;
  }

  const GifImageDesc& desc = gif->Image;
  if (desc.Width <= 0 || desc.Height <= 0 || desc.Left < 0 || desc.Top < 0) {
    return invalid_argument("corrupt gif data: frame of size " + std::to_string(desc.Width) + "x" +
                            std::to_string(desc.Height));
  }
  const int64_t canvas_w = std::max<int64_t>(gif->SWidth, int64_t{desc.Left} + desc.Width);
  const int64_t canvas_h = std::max<int64_t>(gif->SHeight, int64_t{desc.Top} + desc.Height);
  MMS_RETURN_IF_ERROR(check_image_size(ImageFormat::kGif, canvas_w, canvas_h, options));

  // Frame indices, de-interlaced, into a canvas of indices pre-filled as Pillow does.
  std::vector<uint8_t> indices;
  std::vector<GifPixelType> line;
  try {
    indices.assign(static_cast<size_t>(canvas_w * canvas_h), 
                   static_cast<uint8_t>(transparent >= 0 ? transparent : 0));
    line.resize(static_cast<size_t>(desc.Width));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory decoding gif");
  }
  static constexpr int kPassStart[4] = {0, 4, 2, 1};
  static constexpr int kPassStep[4] = {8, 8, 4, 2};
  const int passes = desc.Interlace ? 4 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    const int start = desc.Interlace ? kPassStart[pass] : 0, step = desc.Interlace ? kPassStep[pass] : 1;
    for (int y = start; y < desc.Height; y += step) {
      if (DGifGetLine(gif.get(), line.data(), desc.Width) == GIF_ERROR) return gif_error(gif->Error, reader);
      std::memcpy(&indices[static_cast<size_t>((desc.Top + y) * canvas_w + desc.Left)], line.data(), line.size());
    }
  }

  const ColorMapObject* cmap = desc.ColorMap ? desc.ColorMap : gif->SColorMap;
  uint8_t palette[256][4];
  for (int i = 0; i < 256; ++i) {
    palette[i][0] = palette[i][1] = palette[i][2] = static_cast<uint8_t>(i);
    if (cmap && i < cmap->ColorCount && cmap->Colors) {
      palette[i][0] = cmap->Colors[i].Red;
      palette[i][1] = cmap->Colors[i].Green;
      palette[i][2] = cmap->Colors[i].Blue;
    }
    palette[i][3] = i == transparent ? 0 : 255;
  }
  RgbImage image;
  MMS_RETURN_IF_ERROR(allocate_rgb(&image, static_cast<int32_t>(canvas_w), static_cast<int32_t>(canvas_h)));
  for (size_t i = 0; i < indices.size(); ++i) {
    rgba_row_to_rgb(palette[indices[i]], &image.pixels[i * 3], 1, options.alpha);
  }
  return image;
}

StatusOr<ImageInfo> probe_gif(std::span<const uint8_t> d) {
  if (d.size() < 13) return out_of_range("truncated gif header: " + std::to_string(d.size()) + " bytes");
  ImageInfo info;
  info.format = ImageFormat::kGif;
  info.width = d[6] | (d[7] << 8);
  info.height = d[8] | (d[9] << 8);
  if (info.width == 0 || info.height == 0) return invalid_argument("corrupt gif header: zero screen size");
  info.has_alpha = true;  // a graphic control extension may name a transparent index
  info.animated = true;   // unknown without reading every frame
  return info;
}

}  // namespace mms::media::detail
