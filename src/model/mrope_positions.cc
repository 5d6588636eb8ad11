#include "model/mrope_positions.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

namespace mms {
namespace {

// Temporal offset of frame-pair `frame` of a span (see MropeRule).
int64_t time_offset(const MropeMediaSpan& s, const MropeRule& rule, int64_t frame) {
  if (rule.tokens_per_second <= 0) return frame;
  if (!s.is_video) return 0;
  const float seconds = static_cast<float>(frame) * static_cast<float>(s.second_per_grid_t);
  return static_cast<int64_t>(seconds * static_cast<float>(rule.tokens_per_second));
}

Status check_span(const MropeMediaSpan& s, const MropeRule& rule, int64_t prev_end, size_t i) {
  const std::string where = "M-RoPE media span " + std::to_string(i) + ": ";
  const int64_t m = rule.spatial_merge_size;
  if (m <= 0) return invalid_argument(where + "spatial_merge_size must be positive");
  constexpr int64_t kMaxGrid = int64_t{1} << 20;
  if (s.grid_t <= 0 || s.grid_h <= 0 || s.grid_w <= 0 || s.grid_t > kMaxGrid || s.grid_h > kMaxGrid ||
      s.grid_w > kMaxGrid) {
    return invalid_argument(where + "grid " + std::to_string(s.grid_t) + "x" + std::to_string(s.grid_h) + "x" +
                            std::to_string(s.grid_w) + " is empty or too large");
  }
  if (s.grid_h % m != 0 || s.grid_w % m != 0) {
    return invalid_argument(where + "grid height and width must be multiples of the merge size " +
                            std::to_string(m));
  }
  if (s.offset < prev_end) {
    return invalid_argument(where + "offset " + std::to_string(s.offset) +
                            " overlaps the previous span or precedes it (spans must be sorted and disjoint)");
  }
  if (s.is_video && rule.tokens_per_second > 0 && !(s.second_per_grid_t >= 0 && s.second_per_grid_t < 1e6)) {
    return invalid_argument(where + "second_per_grid_t must be in [0, 1e6)");
  }
  return ok_status();
}

// Where the walk is: the next sequence index and the position it would get as text.
struct Cursor {
  int64_t index = 0;
  int64_t position = 0;
};

// Visits the sequence in order: on_text(first_index, end_index, first_position) for the text before each
// span, on_media(span, first_index, num_tokens, base_position) for the span. Returns the cursor after the
// last span (the text after it continues there).
template <typename OnText, typename OnMedia>
StatusOr<Cursor> walk(std::span<const MropeMediaSpan> spans, const MropeRule& rule, OnText on_text,
                      OnMedia on_media) {
  Cursor c;
  for (size_t i = 0; i < spans.size(); ++i) {
    const MropeMediaSpan& s = spans[i];
    MMS_RETURN_IF_ERROR(check_span(s, rule, c.index, i));
    const int64_t m = rule.spatial_merge_size;
    const int64_t gh = s.grid_h / m, gw = s.grid_w / m;
    const int64_t n = s.grid_t * gh * gw;
    on_text(c.index, s.offset, c.position);
    const int64_t base = c.position + (s.offset - c.index);
    on_media(s, s.offset, n, base);
    const int64_t largest = std::max({time_offset(s, rule, s.grid_t - 1), gh - 1, gw - 1});
    c.index = s.offset + n;
    c.position = base + largest + 1;
    if (c.position > INT32_MAX / 2 || c.index > INT32_MAX / 2) {
      return invalid_argument("M-RoPE media span " + std::to_string(i) + ": positions overflow");
    }
  }
  return c;
}

}  // namespace

MropeRule mrope_rule(const ModelConfig& config) {
  MropeRule r;
  if (config.mrope_spatial_merge_size > 0) r.spatial_merge_size = config.mrope_spatial_merge_size;
  r.tokens_per_second = config.mrope_tokens_per_second;
  return r;
}

MropeRule mrope_rule(const ModelConfig& config, const VisionConfig& vision) {
  MropeRule r = mrope_rule(config);
  if (vision.is_qwen25() && !(r.tokens_per_second > 0)) r.tokens_per_second = vision.tokens_per_second;
  return r;
}

int64_t mrope_span_tokens(const MropeMediaSpan& span, int32_t spatial_merge_size) {
  return span.grid_t * (span.grid_h / spatial_merge_size) * (span.grid_w / spatial_merge_size);
}

Status compute_mrope_positions_slice(std::span<const MropeMediaSpan> spans, const MropeRule& rule, int64_t start,
                                     int64_t end, int32_t* out, int64_t stride) {
  if (start < 0 || end < start || stride < end - start) {
    return invalid_argument("M-RoPE positions: bad range [" + std::to_string(start) + ", " + std::to_string(end) +
                            ") for stride " + std::to_string(stride));
  }
  auto put = [&](int64_t i, int64_t t, int64_t h, int64_t w) {
    const int64_t col = i - start;
    out[col] = static_cast<int32_t>(t);
    out[stride + col] = static_cast<int32_t>(h);
    out[2 * stride + col] = static_cast<int32_t>(w);
  };
  auto text = [&](int64_t first, int64_t last, int64_t position) {
    for (int64_t i = std::max(first, start); i < std::min(last, end); ++i) {
      const int64_t p = position + (i - first);
      put(i, p, p, p);
    }
  };
  auto media = [&](const MropeMediaSpan& s, int64_t first, int64_t n, int64_t base) {
    const int64_t gw = s.grid_w / rule.spatial_merge_size;
    const int64_t per_frame = (s.grid_h / rule.spatial_merge_size) * gw;
    for (int64_t i = std::max(first, start); i < std::min(first + n, end); ++i) {
      const int64_t k = i - first;
      const int64_t r = k % per_frame;
      put(i, base + time_offset(s, rule, k / per_frame), base + r / gw, base + r % gw);
    }
  };
  MMS_ASSIGN_OR_RETURN(Cursor c, walk(spans, rule, text, media));
  if (end - c.index + c.position > INT32_MAX) return invalid_argument("M-RoPE positions overflow");
  text(c.index, end, c.position);
  return ok_status();
}

StatusOr<int32_t> compute_mrope_delta(int64_t num_tokens, std::span<const MropeMediaSpan> spans,
                                      const MropeRule& rule) {
  auto none = [](auto&&...) {};
  MMS_ASSIGN_OR_RETURN(Cursor c, walk(spans, rule, none, none));
  if (c.index > num_tokens) {
    return invalid_argument("M-RoPE media spans end at token " + std::to_string(c.index) + ", past the " +
                            std::to_string(num_tokens) + "-token prompt");
  }
  // The last token is text at c.position + (num_tokens - 1 - c.index), or the last span's largest position.
  return static_cast<int32_t>(c.position - c.index);
}

StatusOr<MropePositions> compute_mrope_positions(int64_t num_tokens, std::span<const MropeMediaSpan> spans,
                                                 const MropeRule& rule) {
  if (num_tokens < 0 || num_tokens > INT32_MAX / 2) return invalid_argument("M-RoPE positions: bad token count");
  MropePositions p;
  MMS_ASSIGN_OR_RETURN(p.delta, compute_mrope_delta(num_tokens, spans, rule));
  p.num_tokens = num_tokens;
  p.positions.resize(static_cast<size_t>(3 * num_tokens));
  MMS_RETURN_IF_ERROR(compute_mrope_positions_slice(spans, rule, 0, num_tokens, p.positions.data(), num_tokens));
  return p;
}

}  // namespace mms
