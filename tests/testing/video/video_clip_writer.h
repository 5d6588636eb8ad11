// Test clips made at test time with FFmpeg's encoders (through the libraries, in memory): any vector of
// RgbImage -> an encoded container, a lossless variant whose decode gives back the exact pixels, and a
// frame pattern that carries its own index (big black/white bit blocks that survive lossy codecs) so a
// decoded frame says which source frame it is. Used by tests/media and the server's video tests.
// Functions are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "media/image_decoder.h"

namespace mms::testing {

struct VideoClipOptions {
  std::string encoder = "libx264";  // FFmpeg encoder name (avcodec_find_encoder_by_name)
  std::string container = "mp4";    // muxer: "mp4", "mov", "matroska", "webm"
  int fps = 10;                     // frame i has pts i / fps
  int gop = 10;                     // the encoder's gop_size (keyframe interval)
  bool force_keyframes = true;      // frames 0, gop, 2 gop, ... sent as I frames (else the encoder decides)
  int max_b_frames = -1;            // -1: the encoder's default
  std::string pix_fmt;              // empty: yuv420p when the encoder takes it, else its first format
  std::map<std::string, std::string> codec_options;  // av_opt_set on the encoder (e.g. {"crf", "18"})
  int width = 0, height = 0;        // only for an empty clip (no frames): the stream's declared size
};

// Whether this FFmpeg build has the encoder (tests GTEST_SKIP otherwise).
bool video_encoder_available(const std::string& name);

// Encodes the frames (all one size; even width and height) into a container in memory. No frames and
// options.width/height set: a container whose video stream has no packets.
// InvalidArgument/Internal with FFmpeg's message on failure.
StatusOr<std::vector<uint8_t>> encode_video_clip(std::span<const media::RgbImage> frames, const VideoClipOptions& options);

// Lossless: FFV1 (RGB, bgr0, every frame a keyframe) in Matroska, frame i at i / fps seconds. Decoding
// gives back the exact pixels.
StatusOr<std::vector<uint8_t>> encode_lossless_video(std::span<const media::RgbImage> frames, int fps = 2);

// A frame that encodes `index` (0..1023) in ten 16x32 black/white blocks along the top edge, a colour
// band that is a known function of the index (indexed_frame_color), and a square that moves with the
// index over a grey background. width >= 160 and a multiple of 16, height >= 64.
media::RgbImage make_indexed_frame(int index, int width = 160, int height = 96);
std::vector<media::RgbImage> make_indexed_frames(int count, int width = 160, int height = 96);
void indexed_frame_color(int index, uint8_t rgb[3]);
// The index read back from a (possibly lossy-decoded) indexed frame of the same layout.
int read_frame_index(const media::RgbImage& frame);

}  // namespace mms::testing
