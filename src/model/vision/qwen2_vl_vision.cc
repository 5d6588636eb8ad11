// Qwen2-VL / Qwen2.5-VL vision tower and patch merger (HF Qwen2VisionTransformerPretrainedModel and
// Qwen2_5_VisionTransformerPretrainedModel; GGUF clip with projector qwen2vl_merger / qwen2.5vl_merger):
//   x = patches Wp                       Conv3d over (channel, frame pair, 14, 14) as a matmul, rows in 2x2 groups
//                                        (Qwen2.5-VL: groups permuted into window order, HF get_window_index)
//   per layer:  h = norm1(x); [q k v] = h Wqkv + bqkv; rope2d(q, k)
//               x += attention(q, k, v within each frame pair, or within each window) Wo + bo
//               h = norm2(x); x += Qwen2-VL:   fc2(quick_gelu(fc1 h))
//                                  Qwen2.5-VL: down(silu(gate h) * up h)          (all with biases)
//   y = fc2(gelu_erf(fc1(ln_q(x) viewed as [rows / 4, 4 * E])))   rows scattered back to row-major merged order
// norm = LayerNorm with bias (Qwen2-VL) or RMSNorm (Qwen2.5-VL).
//
// A job is a fixed list of work units built at start(): row-chunked stages (patch embedding; norm1 + QKV + RoPE;
// output projection; norm2 + up/gate; down; ln_q) over all inputs' rows together, attention units (groups of
// windows or frames, or one frame's heads, or one head's block of query rows), and the merger's two matmuls tiled
// by rows and columns. run() executes units in order.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>

#include "kernels/activation.h"
#include "kernels/gelu.h"
#include "kernels/layer_norm.h"
#include "kernels/matmul.h"
#include "kernels/rms_norm.h"
#include "kernels/rope_table.h"
#include "kernels/varlen_attention.h"
#include "model/vision/vision_encoder.h"

namespace mms {
namespace {

enum class Op : uint8_t {
  kPatchEmbed, kAttnIn, kAttention, kAttnOut, kMlpIn, kMlpOut, kMergerNorm, kMergerFc1, kMergerFc2
};

struct Unit {
  Op op;
  bool window = false;  // kAttention: the window segments (else the frame-pair segments)
  int32_t layer = -1;
  int64_t begin = 0, end = 0;  // rows [begin, end); kAttention: segments [begin, end)
  int32_t h0 = 0, h1 = 0;      // kAttention: heads
  int64_t q0 = 0, q1 = 0;      // kAttention with q1 > q0: only query rows [q0, q1) of segment `begin`
  int64_t n0 = 0, n1 = 0;      // kMergerFc1/2: output columns [n0, n1); rows are merged rows
  int64_t flops = 0;
};

struct InputInfo {
  VisionInput in;
  VisionGrid grid;
  int64_t num_tokens = 0;
};

// Uninitialized f32 storage: large allocations come from fresh mappings whose pages are first touched by the
// units that write them, so no unit pays for zeroing the whole job's scratch.
using Buffer = std::unique_ptr<float[]>;
Buffer alloc(int64_t n) { return Buffer(new float[static_cast<size_t>(std::max<int64_t>(n, 1))]); }

class QwenVisionJob final : public VisionEncodeJob {
 public:
  QwenVisionJob(const VisionConfig& c, const VisionWeights& w, const VisionEncoderOptions& o,
                std::vector<InputInfo> inputs)
      : c_(c), w_(w), o_(o), inputs_(std::move(inputs)) {
    E_ = c.hidden_size, F_ = c.intermediate_size, H_ = c.num_heads, D_ = c.head_dim();
    m2_ = c.spatial_merge_size * c.spatial_merge_size;
    K_ = c.in_channels * c.temporal_patch_size * c.patch_size * c.patch_size;
    U_ = E_ * m2_;
    O_ = c.out_hidden_size;
    build_sequence();
    build_units();
    for (const Unit& u : units_) total_flops_ += u.flops;
  }

  bool run(int64_t flop_budget) override {
    if (done()) return true;
    if (!x_) allocate();
    int64_t spent = 0;
    do {
      const Unit& u = units_[next_++];
      execute(u);
      spent += u.flops;
      done_flops_ += u.flops;
    } while (!done() && spent < flop_budget);
    if (done()) release();
    return done();
  }
  bool done() const override { return next_ == units_.size(); }
  int64_t total_flops() const override { return total_flops_; }
  int64_t remaining_flops() const override { return total_flops_ - done_flops_; }
  int64_t num_units() const override { return static_cast<int64_t>(units_.size()); }
  int64_t remaining_units() const override { return static_cast<int64_t>(units_.size() - next_); }
  std::string describe_unit(int64_t i) const override {
    MMS_CHECK(i >= 0 && i < num_units());
    static constexpr const char* kNames[] = {"patch_embed", "attn_in", "attention", "attn_out", "mlp_in",
                                             "mlp_out",     "merger_norm", "merger_fc1", "merger_fc2"};
    const Unit& u = units_[static_cast<size_t>(i)];
    std::string s = u.layer >= 0 ? "layer " + std::to_string(u.layer) + " " : "";
    s += kNames[static_cast<int>(u.op)];
    auto range = [](int64_t a, int64_t b) { return std::to_string(a) + "-" + std::to_string(b); };
    if (u.op == Op::kMergerFc1 || u.op == Op::kMergerFc2) {
      return s + " merged rows " + range(u.begin, u.end) + " columns " + range(u.n0, u.n1);
    }
    if (u.op != Op::kAttention) return s + " rows " + range(u.begin, u.end);
    s += std::string(u.window ? "(window)" : "(full)") + " seqs " + range(u.begin, u.end);
    s += " heads " + range(u.h0, u.h1);
    if (u.q1 > u.q0) s += " rows " + range(u.q0, u.q1);
    return s;
  }
  std::span<const float> output(size_t i) const override {
    MMS_CHECK(done() && i < outputs_.size());
    return outputs_[i];
  }

 private:
  // The sequence: every input's patch rows (window order for Qwen2.5-VL), the attention segments, and the output
  // row of every merged row.
  void build_sequence() {
    const int64_t merge = c_.spatial_merge_size;
    cu_full_.push_back(0);
    cu_window_.push_back(0);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const VisionGrid& g = inputs_[i].grid;
      const int64_t row0 = static_cast<int64_t>(rows_.size());
      const int64_t units = g.num_patches() / m2_;
      std::vector<int32_t> order(static_cast<size_t>(units));
      if (c_.is_qwen25()) {
        WindowLayout wl = window_layout(g, merge, c_.window_units());
        order = std::move(wl.window_index);
        for (size_t s = 1; s < wl.cu_window_seqlens.size(); ++s)
          cu_window_.push_back(static_cast<int32_t>(row0 + wl.cu_window_seqlens[s]));
      } else {
        std::iota(order.begin(), order.end(), 0);
      }
      append_patch_rows(g, static_cast<int32_t>(i), merge, order, &rows_);
      for (int64_t t = 0; t < g.t; ++t) cu_full_.push_back(static_cast<int32_t>(row0 + (t + 1) * g.h * g.w));
      for (int32_t u : order) dest_.push_back({static_cast<int32_t>(i), u});
      outputs_.emplace_back(static_cast<size_t>(inputs_[i].num_tokens * O_));
    }
    R_ = static_cast<int64_t>(rows_.size());
  }

  // Rows per unit of a row stage costing row_flops per row: about o_.unit_flops, a multiple of `align`.
  int64_t chunk_rows(int64_t row_flops) const {
    const int64_t align = std::lcm<int64_t>(16, m2_);
    const int64_t rows = o_.unit_flops / std::max<int64_t>(row_flops, 1);
    return std::max(align, rows / align * align);
  }

  void add_row_stage(Op op, int32_t layer, int64_t row_flops) {
    const int64_t step = chunk_rows(row_flops);
    for (int64_t r = 0; r < R_; r += step) {
      Unit u{op};
      u.layer = layer, u.begin = r, u.end = std::min(R_, r + step);
      u.flops = (u.end - u.begin) * row_flops;
      units_.push_back(u);
    }
  }

  // Attention over segments cu: whole segments grouped while they fit o_.attention_unit_flops; a larger segment
  // split by heads, and a segment whose one head is still larger split into blocks of query rows.
  void add_attention(int32_t layer, bool window) {
    const std::vector<int32_t>& cu = window ? cu_window_ : cu_full_;
    const int64_t target = o_.attention_unit_flops;
    const auto nseg = static_cast<int64_t>(cu.size()) - 1;
    auto head_cost = [&](int64_t s) { return 4 * D_ * int64_t{cu[s + 1] - cu[s]} * (cu[s + 1] - cu[s]); };
    for (int64_t s = 0; s < nseg;) {
      Unit u{Op::kAttention};
      u.window = window, u.layer = layer, u.h0 = 0, u.h1 = static_cast<int32_t>(H_);
      if (head_cost(s) * H_ <= target) {
        int64_t e = s, cost = 0;
        while (e < nseg && (e == s || cost + head_cost(e) * H_ <= target)) cost += head_cost(e++) * H_;
        u.begin = s, u.end = e, u.flops = cost;
        units_.push_back(u);
        s = e;
        continue;
      }
      u.begin = s, u.end = s + 1;
      const int64_t len = cu[s + 1] - cu[s];
      if (head_cost(s) <= target) {
        const int64_t group = target / head_cost(s);
        for (int64_t h = 0; h < H_; h += group) {
          u.h0 = static_cast<int32_t>(h), u.h1 = static_cast<int32_t>(std::min(H_, h + group));
          u.flops = head_cost(s) * (u.h1 - u.h0);
          units_.push_back(u);
        }
      } else {
        const int64_t block = std::max<int64_t>(16, target / (4 * D_ * len) / 16 * 16);
        for (int64_t h = 0; h < H_; ++h) {
          for (int64_t q = cu[s]; q < cu[s + 1]; q += block) {
            u.h0 = static_cast<int32_t>(h), u.h1 = static_cast<int32_t>(h + 1);
            u.q0 = q, u.q1 = std::min<int64_t>(cu[s + 1], q + block);
            u.flops = 4 * D_ * len * (u.q1 - u.q0);
            units_.push_back(u);
          }
        }
      }
      ++s;
    }
  }

  // A merger matmul [G, U] x [N, U]^T over the G merged rows: its weights are large next to its rows (U = 4E), so
  // it is tiled by rows (at most kMergerRows, keeping the weight reuse of a GEMM) and by output columns.
  void add_merger_matmul(Op op, int64_t N) {
    constexpr int64_t kMergerRows = 512;
    const int64_t G = R_ / m2_;
    for (int64_t g = 0; g < G; g += kMergerRows) {
      Unit u{op};
      u.begin = g, u.end = std::min(G, g + kMergerRows);
      const int64_t cols = std::max<int64_t>(64, o_.unit_flops / (2 * U_ * (u.end - u.begin)) / 64 * 64);
      for (int64_t n = 0; n < N; n += cols) {
        u.n0 = n, u.n1 = std::min(N, n + cols);
        u.flops = 2 * U_ * (u.end - u.begin) * (u.n1 - u.n0);
        units_.push_back(u);
        merger_tile_ = std::max(merger_tile_, (u.end - u.begin) * (u.n1 - u.n0));
      }
    }
  }

  void build_units() {
    if (R_ == 0) return;
    add_row_stage(Op::kPatchEmbed, -1, 2 * K_ * E_);
    const int64_t mlp_in = (c_.is_qwen25() ? 4 : 2) * E_ * F_;
    for (int32_t l = 0; l < static_cast<int32_t>(c_.num_layers); ++l) {
      add_row_stage(Op::kAttnIn, l, 6 * E_ * E_);
      add_attention(l, !c_.full_attention(l));
      add_row_stage(Op::kAttnOut, l, 2 * E_ * E_);
      add_row_stage(Op::kMlpIn, l, mlp_in);
      add_row_stage(Op::kMlpOut, l, 2 * E_ * F_);
    }
    add_row_stage(Op::kMergerNorm, -1, 8 * E_);
    add_merger_matmul(Op::kMergerFc1, U_);
    add_merger_matmul(Op::kMergerFc2, O_);
  }

  void allocate() {
    const int64_t max_chunk = std::min(R_, chunk_rows(2 * K_ * E_));
    x_ = alloc(R_ * E_), h_ = alloc(R_ * E_), qkv_ = alloc(R_ * 3 * E_);
    attn_ = alloc(R_ * E_), up_ = alloc(R_ * F_);
    if (c_.is_qwen25()) gate_ = alloc(R_ * F_);
    cos_ = alloc(R_ * D_ / 2), sin_ = alloc(R_ * D_ / 2);
    patches_ = alloc(max_chunk * K_);
    merger_tile_buf_ = alloc(merger_tile_);
    inv_freq_ = vision_rope_inv_freq(D_, c_.rope_theta);
  }

  void release() {
    for (Buffer* b : {&x_, &h_, &qkv_, &attn_, &up_, &gate_, &cos_, &sin_, &patches_, &merger_tile_buf_})
      b->reset();
  }

  void norm(const float* x, const float* w, const float* b, int64_t rows, float* y) const {
    const auto eps = static_cast<float>(c_.norm_eps);
    if (c_.is_qwen25()) {
      kernels::rms_norm(x, w, rows, E_, eps, y);
    } else {
      kernels::layer_norm(x, w, b, rows, E_, eps, y);
    }
  }

  void execute(const Unit& u) {
    const int64_t r0 = u.begin, n = u.end - u.begin;
    const VisionLayerWeights* L = u.layer >= 0 ? &w_.layers[static_cast<size_t>(u.layer)] : nullptr;
    switch (u.op) {
      case Op::kPatchEmbed:
        patch_embed(r0, n);
        break;
      case Op::kAttnIn:
        norm(x_.get() + r0 * E_, L->norm1_w, L->norm1_b, n, h_.get() + r0 * E_);
        kernels::matmul(h_.get() + r0 * E_, n, L->wqkv, L->bqkv, qkv_.get() + r0 * 3 * E_);
        // q and k are the first 2 * H heads of each qkv row.
        kernels::rope_table(qkv_.get() + r0 * 3 * E_, n, 2 * H_, D_, 3 * E_, cos_.get() + r0 * D_ / 2,
                            sin_.get() + r0 * D_ / 2);
        break;
      case Op::kAttention:
        attention(u);
        break;
      case Op::kAttnOut:
        kernels::matmul(attn_.get() + r0 * E_, n, L->wo, L->bo, h_.get() + r0 * E_);
        kernels::add(x_.get() + r0 * E_, h_.get() + r0 * E_, n * E_, x_.get() + r0 * E_);
        break;
      case Op::kMlpIn:
        norm(x_.get() + r0 * E_, L->norm2_w, L->norm2_b, n, h_.get() + r0 * E_);
        kernels::matmul(h_.get() + r0 * E_, n, L->w_up, L->b_up, up_.get() + r0 * F_);
        if (c_.is_qwen25()) {
          kernels::matmul(h_.get() + r0 * E_, n, L->w_gate, L->b_gate, gate_.get() + r0 * F_);
          kernels::silu_mul(gate_.get() + r0 * F_, up_.get() + r0 * F_, n * F_, up_.get() + r0 * F_);
        } else {
          kernels::quick_gelu(up_.get() + r0 * F_, n * F_, up_.get() + r0 * F_);
        }
        break;
      case Op::kMlpOut:
        kernels::matmul(up_.get() + r0 * F_, n, L->w_down, L->b_down, h_.get() + r0 * E_);
        kernels::add(x_.get() + r0 * E_, h_.get() + r0 * E_, n * E_, x_.get() + r0 * E_);
        break;
      case Op::kMergerNorm:
        norm(x_.get() + r0 * E_, w_.merger_norm_w, w_.merger_norm_b, n, h_.get() + r0 * E_);
        break;
      case Op::kMergerFc1:
      case Op::kMergerFc2:
        merger_tile(u);
        break;
    }
  }

  // Gathers each row's patch as (channel, frame, row, column) -- a still image repeats its frame -- and embeds
  // the rows; also fills their RoPE angles.
  void patch_embed(int64_t r0, int64_t n) {
    const int64_t P = c_.patch_size, Tp = c_.temporal_patch_size, C = c_.in_channels;
    for (int64_t r = 0; r < n; ++r) {
      const PatchRow& pr = rows_[static_cast<size_t>(r0 + r)];
      const InputInfo& info = inputs_[static_cast<size_t>(pr.input)];
      const int64_t Hh = info.in.height, W = info.in.width;
      float* dst = patches_.get() + r * K_;
      for (int64_t ch = 0; ch < C; ++ch) {
        for (int64_t tt = 0; tt < Tp; ++tt) {
          const int64_t frame = info.in.num_frames == 1 ? 0 : pr.t * Tp + tt;
          const float* src = info.in.frames.data() + ((frame * C + ch) * Hh + pr.y * P) * W + pr.x * P;
          for (int64_t ky = 0; ky < P; ++ky, dst += P) std::memcpy(dst, src + ky * W, static_cast<size_t>(P) * 4);
        }
      }
      vision_rope_row(pr.y, pr.x, inv_freq_, cos_.get() + (r0 + r) * D_ / 2, sin_.get() + (r0 + r) * D_ / 2);
    }
    kernels::matmul(patches_.get(), n, w_.patch_embed, nullptr, x_.get() + r0 * E_);
  }

  void attention(const Unit& u) {
    const std::vector<int32_t>& cu = u.window ? cu_window_ : cu_full_;
    kernels::VarlenAttentionArgs a;
    const int64_t col = int64_t{u.h0} * D_;
    a.q = qkv_.get() + col, a.k = qkv_.get() + E_ + col, a.v = qkv_.get() + 2 * E_ + col;
    a.out = attn_.get() + col;
    a.q_stride = a.kv_stride = 3 * E_;
    a.out_stride = E_;
    a.n_heads = u.h1 - u.h0;
    a.head_dim = static_cast<int32_t>(D_);
    a.scale = 1.0f / std::sqrt(static_cast<float>(D_));
    int32_t cu_q[2], cu_k[2];
    if (u.q1 > u.q0) {
      cu_q[0] = static_cast<int32_t>(u.q0), cu_q[1] = static_cast<int32_t>(u.q1);
      cu_k[0] = cu[u.begin], cu_k[1] = cu[u.begin + 1];
      a.cu_seqlens_q = cu_q, a.cu_seqlens_k = cu_k, a.num_seqs = 1;
    } else {
      a.cu_seqlens_q = a.cu_seqlens_k = cu.data() + u.begin;
      a.num_seqs = static_cast<int32_t>(u.end - u.begin);
    }
    kernels::varlen_attention(a);
  }

  // One tile of the merger MLP. fc1: ln_q's output viewed as [G, U] (a merge group's rows are adjacent) times
  // columns [n0, n1) of fc1, GELU, into mid [G, U] (the attention output buffer, free by now). fc2: mid times
  // columns [n0, n1) of fc2, each merged row written to its input's output at its row-major merged position.
  void merger_tile(const Unit& u) {
    const bool fc1 = u.op == Op::kMergerFc1;
    const Tensor& w = fc1 ? w_.merger_fc1 : w_.merger_fc2;
    const float* bias = fc1 ? w_.merger_fc1_b : w_.merger_fc2_b;
    const float* in = (fc1 ? h_.get() : attn_.get()) + u.begin * U_;
    const int64_t rows = u.end - u.begin, cols = u.n1 - u.n0;
    float* tile = merger_tile_buf_.get();
    kernels::matmul(in, rows, w.rows(u.n0, cols), bias + u.n0, tile);
    if (fc1) kernels::gelu(tile, rows * cols, tile);
    for (int64_t g = 0; g < rows; ++g) {
      float* dst = fc1 ? attn_.get() + (u.begin + g) * U_
                       : outputs_[static_cast<size_t>(dest_[static_cast<size_t>(u.begin + g)].input)].data() +
                             int64_t{dest_[static_cast<size_t>(u.begin + g)].row} * O_;
      std::memcpy(dst + u.n0, tile + g * cols, static_cast<size_t>(cols) * sizeof(float));
    }
  }

  const VisionConfig& c_;
  const VisionWeights& w_;
  const VisionEncoderOptions o_;
  std::vector<InputInfo> inputs_;
  int64_t E_, F_, H_, D_, m2_, K_, U_, O_;  // widths: hidden, MLP, heads, head dim, merge group, patch, merger in/out
  int64_t R_ = 0;                           // rows (patches) of all inputs

  struct Dest {
    int32_t input, row;  // output row of a merged row
  };
  std::vector<PatchRow> rows_;      // [R]
  std::vector<int32_t> cu_full_;    // frame-pair segments, absolute rows
  std::vector<int32_t> cu_window_;  // window segments (Qwen2.5-VL)
  std::vector<Dest> dest_;          // [R / m2]
  std::vector<double> inv_freq_;    // [D / 4]

  std::vector<Unit> units_;
  size_t next_ = 0;
  int64_t total_flops_ = 0, done_flops_ = 0;

  // Scratch, allocated at the first run() and freed when done.
  Buffer x_, h_, attn_;              // [R, E]
  Buffer qkv_;                       // [R, 3 * E]: q, k, v of a row side by side
  Buffer up_, gate_;                 // [R, F]
  Buffer cos_, sin_;                 // [R, D / 2]
  Buffer patches_;                   // [chunk, K]
  Buffer merger_tile_buf_;           // [merger_tile_]: one merger tile's output
  int64_t merger_tile_ = 0;
  std::vector<std::vector<float>> outputs_;  // per input [tokens, O]
};

class QwenVisionEncoder final : public VisionEncoder {
 public:
  QwenVisionEncoder(const VisionConfig& c, std::unique_ptr<WeightStore> store, std::unique_ptr<VisionWeights> w,
                    const VisionEncoderOptions& o)
      : config_(c), store_(std::move(store)), weights_(std::move(w)), options_(o) {}

  const VisionConfig& config() const override { return config_; }

  StatusOr<std::unique_ptr<VisionEncodeJob>> start(std::span<const VisionInput> inputs) const override {
    std::vector<InputInfo> infos;
    int64_t total = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const VisionInput& in = inputs[i];
      MMS_ASSIGN_OR_RETURN(VisionGrid g, grid_of(in.num_frames, in.height, in.width));
      const int64_t want = in.num_frames * config_.in_channels * in.height * in.width;
      if (static_cast<int64_t>(in.frames.size()) != want) {
        return invalid_argument("vision input " + std::to_string(i) + ": " + std::to_string(in.frames.size()) +
                                " values, expected " + std::to_string(want) + " (frames x channels x height x width)");
      }
      total += g.num_patches();
      if (total > (int64_t{1} << 30)) return invalid_argument("vision inputs: too many patches in one job");
      infos.push_back({in, g, num_output_tokens(g)});
    }
    return std::unique_ptr<VisionEncodeJob>(new QwenVisionJob(config_, *weights_, options_, std::move(infos)));
  }

 private:
  VisionConfig config_;
  std::unique_ptr<WeightStore> store_;
  std::unique_ptr<VisionWeights> weights_;
  VisionEncoderOptions options_;
};

}  // namespace

StatusOr<std::unique_ptr<VisionEncoder>> create_vision_encoder(const VisionConfig& config,
                                                               std::unique_ptr<WeightStore> weights,
                                                               VisionWeightNaming naming,
                                                               const VisionEncoderOptions& options) {
  MMS_RETURN_IF_ERROR(config.validate().with_context(weights->source()));
  if (options.unit_flops <= 0 || options.attention_unit_flops <= 0) {
    return invalid_argument("vision encoder: unit sizes must be positive");
  }
  MMS_ASSIGN_OR_RETURN(std::unique_ptr<VisionWeights> w, load_vision_weights(*weights, config, naming));
  return std::unique_ptr<VisionEncoder>(new QwenVisionEncoder(config, std::move(weights), std::move(w), options));
}

}  // namespace mms
