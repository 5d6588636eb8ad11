// fetch -> probe -> limits -> sampling plan -> decode the sampled frames (each preprocessed straight into
// the output tensor as it leaves the decoder) -> MediaItem.
#include "media/video_pipeline.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "common/check.h"
#include "media/video_decoder.h"
#include "media/video_demuxer.h"
#include "media/video_sampling.h"

namespace mms::media {
namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

// "<what> <value> is over the limit <name> = <limit> by <excess> (<pct>%)"
Status over_limit(const std::string& what, double value, const char* name, double limit, const char* unit = "") {
  return invalid_argument(what + " " + num(value) + unit + " is over the limit " + name + " = " + num(limit) + unit +
                          " by " + num(value - limit) + unit + " (" + num(100.0 * (value - limit) / limit) + "%)");
}

// The video's key: the frames' content hash (pixels + preprocessing) and the sampling result that
// reaches the model besides the pixels (second_per_grid_t sets M-RoPE's temporal positions).
Hash128 video_hash(const Hash128& content, const VideoSamplingPlan& plan) {
  const char tag[] = "mmserve.video.v1";
  uint8_t b[sizeof(tag) + 32];
  std::memcpy(b, tag, sizeof(tag));
  std::memcpy(b + sizeof(tag), &content.lo, 8);
  std::memcpy(b + sizeof(tag) + 8, &content.hi, 8);
  std::memcpy(b + sizeof(tag) + 16, &plan.sample_fps, 8);
  std::memcpy(b + sizeof(tag) + 24, &plan.second_per_grid_t, 8);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  MMS_CHECK(EVP_Digest(b, sizeof(b), digest, &len, EVP_sha256(), nullptr) == 1 && len >= 16);
  Hash128 h;
  std::memcpy(&h.lo, digest, 8);
  std::memcpy(&h.hi, digest + 8, 8);
  return h;
}

}  // namespace

StatusOr<std::shared_ptr<const MediaItem>> VideoPipeline::process_bytes(std::span<const uint8_t> bytes,
                                                                        const VideoOverrides& overrides) const {
  const VideoLimits& limits = options_.limits;
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) {
    return over_limit("video size", static_cast<double>(bytes.size()), "max_bytes", static_cast<double>(limits.max_bytes), " bytes");
  }
  VideoProbeOptions probe_options;
  probe_options.max_duration_s = limits.max_duration_s;
  probe_options.max_packets = std::max<int64_t>(1000, static_cast<int64_t>(limits.max_duration_s * 240));
  auto probed = probe_video(bytes, probe_options);
  if (!probed.ok()) return probed.status().with_context("video probe");
  const VideoInfo& info = *probed;
  const int64_t source_pixels = static_cast<int64_t>(info.width) * info.height;
  if (source_pixels > limits.max_source_pixels) {
    return over_limit("video frame size " + std::to_string(info.width) + "x" + std::to_string(info.height) + " =",
                      static_cast<double>(source_pixels), "max_source_pixels", static_cast<double>(limits.max_source_pixels),
                      " pixels");
  }
  const Qwen2VLImageOptions& q = options_.qwen2vl;
  auto planned = plan_video_sampling(info, options_.sampling, overrides, q.temporal_patch_size);
  if (!planned.ok()) return planned.status().with_context("video sampling");
  const VideoSamplingPlan& plan = *planned;
  const int64_t nframes = static_cast<int64_t>(plan.frame_indices.size());
  if (nframes > limits.max_sampled_frames) {
    return over_limit("sampled frames", static_cast<double>(nframes), "max_sampled_frames",
                      static_cast<double>(limits.max_sampled_frames));
  }
  int64_t decode_packets = 0;
  for (const VideoSegment& seg : plan_video_segments(info, plan.frame_indices)) decode_packets += seg.num_packets;
  const double decode_pixels = static_cast<double>(decode_packets) * static_cast<double>(source_pixels);
  if (decode_pixels > static_cast<double>(limits.max_decode_pixels)) {
    return over_limit("decoding " + std::to_string(decode_packets) + " frames of " + std::to_string(info.width) + "x" +
                      std::to_string(info.height) + " =",
                      decode_pixels, "max_decode_pixels", static_cast<double>(limits.max_decode_pixels), " pixels");
  }
  auto frame_plan = qwen2vl_plan_frames(info.height, info.width, q, plan.frame_pixels);
  if (!frame_plan.ok()) return frame_plan.status().with_context("video preprocessing");
  const Qwen2VLFramePlan& fp = *frame_plan;

  auto item = std::make_shared<MediaItem>();
  item->kind = MediaKind::kVideo;
  item->num_frames = nframes;
  item->height = fp.size.height;
  item->width = fp.size.width;
  item->source_height = info.height;
  item->source_width = info.width;
  item->grid_t = nframes / q.temporal_patch_size;
  item->grid_h = fp.size.height / q.patch_size;
  item->grid_w = fp.size.width / q.patch_size;
  item->num_tokens = item->grid_t * item->grid_h * item->grid_w / (q.merge_size * q.merge_size);
  item->second_per_grid_t = plan.second_per_grid_t;
  const size_t frame_floats = fp.frame_floats();
  try {
    item->frames.resize(frame_floats * static_cast<size_t>(nframes));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory for a " + std::to_string(fp.size.width) + "x" +
                              std::to_string(fp.size.height) + " x " + std::to_string(nframes) + " video tensor");
  }
  std::vector<FrameDigest> digests(static_cast<size_t>(nframes));
  float* out = item->frames.data();
  // Called concurrently for distinct slots: each writes only its own digest and tensor slice.
  const VideoFrameSink sink = [&](int64_t slot, const RgbImage& frame) -> Status {
    digests[static_cast<size_t>(slot)] = qwen2vl_frame_digest(frame);
    return qwen2vl_preprocess_frame_into(frame, fp, out + frame_floats * static_cast<size_t>(slot));
  };
  VideoDecodeOptions decode_options;
  decode_options.workers =
      static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(options_.decode_workers, limits.max_frames_in_flight), 1, 64));
  decode_options.hw_device = options_.hw_device;
  Status decoded = decode_video_frames(bytes, info, plan.frame_indices, decode_options, sink);
  if (!decoded.ok()) return decoded.with_context("video decode");
  item->hash = video_hash(qwen2vl_content_hash(digests, fp.size, fp.options), plan);
  return std::shared_ptr<const MediaItem>(std::move(item));
}

StatusOr<std::shared_ptr<const MediaItem>> VideoPipeline::process(std::string_view url,
                                                                  const VideoOverrides& overrides) const {
  MediaSourceOptions source = options_.source;
  source.max_bytes = options_.limits.max_bytes;  // videos have their own size limit
  auto bytes = fetch_media(url, source);
  if (!bytes.ok()) return bytes.status().with_context("video fetch");
  const std::string& type = bytes->media_type;
  // A declared type is only a hint (the container is sniffed), but a declared non-video is a user error.
  if (!type.empty() && type.rfind("video/", 0) != 0 && type != "application/octet-stream" &&
      type != "binary/octet-stream" && type != "application/mp4" && type != "application/x-matroska") {
    return invalid_argument("video fetch: expected a video, got media type '" + type + "'");
  }
  return process_bytes(bytes->data, overrides);
}

}  // namespace mms::media
