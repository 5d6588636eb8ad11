// Writes the video fuzzer's seed corpus: one small indexed clip per container/codec pair this FFmpeg
// can encode (the tests' clip writer). Usage: video_fuzz_seeds <out_dir>.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/video/video_clip_writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <out_dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  struct Pair {
    const char* encoder;
    const char* container;
    const char* ext;
  };
  const Pair pairs[] = {{"libx264", "mp4", "mp4"},      {"libx264", "matroska", "mkv"}, {"libx265", "mp4", "mp4"},
                        {"libvpx-vp9", "webm", "webm"}, {"libvpx", "webm", "webm"},     {"libaom-av1", "webm", "webm"},
                        {"mpeg4", "mov", "mov"},        {"ffv1", "matroska", "mkv"}};
  const std::vector<mms::media::RgbImage> frames = mms::testing::make_indexed_frames(12, 160, 64);
  int written = 0;
  for (const Pair& p : pairs) {
    if (!mms::testing::video_encoder_available(p.encoder)) continue;
    mms::testing::VideoClipOptions o;
    o.encoder = p.encoder;
    o.container = p.container;
    o.fps = 4;
    o.gop = 4;
    if (std::string(p.encoder) == "libaom-av1") o.codec_options = {{"cpu-used", "8"}, {"usage", "realtime"}};
    auto clip = mms::testing::encode_video_clip(frames, o);
    if (!clip.ok()) {
      std::fprintf(stderr, "%s/%s: %s\n", p.encoder, p.container, clip.status().to_string().c_str());
      continue;
    }
    std::ofstream(dir / (std::string(p.encoder) + "." + p.ext), std::ios::binary)
        .write(reinterpret_cast<const char*>(clip->data()), static_cast<std::streamsize>(clip->size()));
    ++written;
  }
  std::printf("wrote %d clips to %s\n", written, dir.c_str());
  return written > 0 ? 0 : 1;
}
