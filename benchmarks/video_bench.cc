// Video decode + Qwen2.5-VL preprocessing of the frames sampled at fps 2 (issue 5's benchmark): a 60 s
// 1280x720 H.264 clip with a keyframe every 2 s (generated with libx264 unless --input is given),
// sequential single decoder vs mmserve's parallel decode (segments at keyframes) on the same cores, and
// the `ffmpeg` command line extracting (and resizing) the same frames when /usr/bin/ffmpeg exists.
// Each variant runs in its own child process so its peak resident memory can be reported (wait4).
// Wall-clock medians; quote the ratios measured in one run. Not a test.
//   build/benchmarks/video_bench [--input clip.mp4] [--clip-out /tmp/video_bench.mp4] [--repeats 3]
#include <CLI/CLI.hpp>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "media/video_decoder.h"
#include "media/video_demuxer.h"
#include "media/video_pipeline.h"
#include "media/qwen2vl_preprocess.h"
#include "media/video_sampling.h"
#include "testing/video/video_clip_writer.h"

namespace {

using Clock = std::chrono::steady_clock;

// Moving shapes over a moving gradient, with enough texture that the encoder spends real bits.
mms::media::RgbImage synthetic_frame(int i, int w, int h) {
  mms::media::RgbImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  uint32_t noise = 0x9e3779b9u * static_cast<uint32_t>(i + 1);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      noise = noise * 1664525u + 1013904223u;
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>((x + 2 * i) * 255 / (w + 120) + (noise >> 29));
      p[1] = static_cast<uint8_t>((y + i) * 255 / (h + 60) + (noise >> 30));
      p[2] = static_cast<uint8_t>(((x + y) / 4 + 3 * i) & 255);
    }
  }
  for (int s = 0; s < 6; ++s) {  // six squares on different paths
    const int size = 60 + 20 * s;
    const int cx = static_cast<int>((w - size) * (0.5 + 0.5 * std::sin(0.02 * i * (s + 1) + s)));
    const int cy = static_cast<int>((h - size) * (0.5 + 0.5 * std::cos(0.015 * i * (s + 2) + 2 * s)));
    for (int y = cy; y < cy + size; ++y) {
      for (int x = cx; x < cx + size; ++x) {
        uint8_t* p = &img.pixels[(static_cast<size_t>(y) * w + x) * 3];
        p[0] = static_cast<uint8_t>(40 * s);
        p[1] = static_cast<uint8_t>(255 - 40 * s);
        p[2] = static_cast<uint8_t>((x ^ y) & 255);
      }
    }
  }
  return img;
}

double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// What one run measures: wall time, and CPU time on the critical path (serial part + the busiest
// worker) and in total. On a machine shared with other jobs the wall time includes waiting for a core;
// the critical path is what the run would take with its cores to itself.
struct Timing {
  double wall_ms = -1;
  double critical_cpu_ms = 0;
  double total_cpu_ms = 0;
};

struct Result {
  double median_ms = 0;           // wall
  double median_critical_ms = 0;  // CPU critical path
  double median_total_ms = 0;     // CPU, all threads
  long peak_rss_kb = 0;
  bool ok = false;
};

// One run of f in a child process: its timing and peak RSS.
Result run_in_child(const std::function<Timing()>& f) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const Timing t = f();
    (void)!write(fds[1], &t, sizeof(t));
    _exit(0);
  }
  close(fds[1]);
  Timing t;
  if (read(fds[0], &t, sizeof(t)) != sizeof(t)) t.wall_ms = -1;
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  return {t.wall_ms, t.critical_cpu_ms, t.total_cpu_ms, ru.ru_maxrss, t.wall_ms >= 0};
}

// The variants run round-robin `repeats` times (so load changes on a shared machine hit them alike);
// per variant the medians and the largest peak RSS.
std::vector<Result> run_interleaved(int repeats, const std::vector<std::function<Timing()>>& variants) {
  std::vector<std::vector<double>> wall(variants.size()), crit(variants.size()), total(variants.size());
  std::vector<Result> out(variants.size());
  for (auto& r : out) r.ok = true;
  for (int r = 0; r < repeats; ++r) {
    for (size_t v = 0; v < variants.size(); ++v) {
      const Result one = run_in_child(variants[v]);
      out[v].ok &= one.ok;
      out[v].peak_rss_kb = std::max(out[v].peak_rss_kb, one.peak_rss_kb);
      wall[v].push_back(one.median_ms);
      crit[v].push_back(one.median_critical_ms);
      total[v].push_back(one.median_total_ms);
    }
  }
  auto median = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  for (size_t v = 0; v < variants.size(); ++v) {
    out[v].median_ms = median(wall[v]);
    out[v].median_critical_ms = median(crit[v]);
    out[v].median_total_ms = median(total[v]);
  }
  return out;
}

// The ffmpeg command line, wall time per run and its peak RSS.
Result run_ffmpeg(int repeats, const std::vector<std::string>& args) {
  std::vector<double> ms, cpu;
  long rss = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    cpu.push_back(ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
                  ru.ru_stime.tv_usec / 1e3);
    rss = std::max(rss, ru.ru_maxrss);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  return {ms[ms.size() / 2], 0, cpu[cpu.size() / 2], rss, true};
}

void print(const char* name, const Result& r, const Result& base) {
  if (!r.ok) {
    std::printf("  %-40s failed\n", name);
    return;
  }
  char critical[32] = "        -          ";
  if (r.median_critical_ms > 0) {
    std::snprintf(critical, sizeof(critical), "%8.0f ms %5.2fx", r.median_critical_ms,
                  base.median_critical_ms / r.median_critical_ms);
  }
  std::printf("  %-40s %8.0f ms %5.2fx | %s | %8.0f ms | %6.1f MiB\n", name, r.median_ms,
              base.median_ms / r.median_ms, critical, r.median_total_ms, r.peak_rss_kb / 1024.0);
}

void print_header() {
  std::printf("  %-40s %17s | %17s | %11s | %10s\n", "", "wall (ratio)", "CPU crit. path", "CPU total",
              "peak RSS");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"video_bench: decode + preprocess of the frames sampled at fps 2, sequential vs parallel vs ffmpeg"};
  std::string input, clip_out = "/tmp/mms_video_bench_60s_720p.mp4";
  int repeats = 3, workers = 2, seconds = 60;
  app.add_option("--input", input, "an existing clip (otherwise one is generated)");
  app.add_option("--clip-out", clip_out, "where the generated clip is written (reused when it exists)");
  app.add_option("--repeats", repeats)->check(CLI::PositiveNumber);
  app.add_option("--workers", workers)->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "generated clip length")->check(CLI::PositiveNumber);
  std::string hwaccel = "none";
  app.add_option("--hwaccel", hwaccel, "also decode on this device: none, auto or cuda (NVDEC)")
      ->check(CLI::IsMember({"none", "auto", "cuda"}));
  CLI11_PARSE(app, argc, argv);
  using namespace mms;
  // Every variant runs in a forked child, and a CUDA context does not survive fork: the device is opened in
  // each child (before its clock starts, as the server opens it once at start-up); here only checked.
  const media::VideoHwaccel hw_mode = *media::parse_video_hwaccel(hwaccel);
  bool on_device_too = false;
  if (hw_mode != media::VideoHwaccel::kNone) {
    const Result probe = run_in_child([&]() -> Timing {
      std::string why;
      auto d = media::open_hw_decode_device(hw_mode, &why);
      if (!d.ok() || !*d) {
        std::printf("hwaccel %s: %s; CPU only\n", hwaccel.c_str(), d.ok() ? why.c_str() : d.status().to_string().c_str());
        std::fflush(stdout);
        return {};
      }
      return {0, 0, 0};
    });
    on_device_too = probe.ok;
    if (hw_mode == media::VideoHwaccel::kCuda && !on_device_too) return 1;
  }

  std::string path = input.empty() ? clip_out : input;
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> clip;
  if (in) clip.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (clip.empty()) {
    if (!input.empty()) {
      std::fprintf(stderr, "cannot read %s\n", input.c_str());
      return 1;
    }
    std::printf("generating a %d s 1280x720 30 fps H.264 clip (GOP 2 s, no scene-cut keyframes, libx264 preset veryfast) ...\n", seconds);
    std::vector<media::RgbImage> frames;
    for (int i = 0; i < seconds * 30; ++i) frames.push_back(synthetic_frame(i, 1280, 720));
    testing::VideoClipOptions o;
    o.encoder = "libx264";
    o.container = "mp4";
    o.fps = 30;
    o.gop = 60;
    o.codec_options = {{"preset", "veryfast"}, {"x264-params", "log=-1:scenecut=0"}};
    auto encoded = testing::encode_video_clip(frames, o);
    if (!encoded.ok()) {
      std::fprintf(stderr, "%s\n", encoded.status().to_string().c_str());
      return 1;
    }
    clip = std::move(*encoded);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(clip.data()),
                                                static_cast<std::streamsize>(clip.size()));
  }
  const double probe_t0 = thread_cpu_ms();
  auto info = media::probe_video(clip);
  const double probe_ms = thread_cpu_ms() - probe_t0;
  if (!info.ok()) {
    std::fprintf(stderr, "%s\n", info.status().to_string().c_str());
    return 1;
  }
  media::VideoPipelineOptions options;
  options.limits.max_bytes = 1LL << 30;
  auto plan = media::plan_video_sampling(*info, options.sampling, {}, options.qwen2vl.temporal_patch_size);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s\n", plan.status().to_string().c_str());
    return 1;
  }
  const auto segments = media::plan_video_segments(*info, plan->frame_indices);
  int64_t packets = 0;
  for (const auto& s : segments) packets += s.num_packets;
  std::printf("clip: %s, %.1f MiB, %s %dx%d, %lld frames at %.2f fps, %zu keyframes\n", path.c_str(),
              clip.size() / 1048576.0, info->codec.c_str(), info->width, info->height,
              static_cast<long long>(info->num_frames()), info->fps, info->keyframes.size());
  std::printf("probe (stream info + packet scan, serial): %.0f ms CPU\n", probe_ms);
  std::printf("sampled: %zu frames at fps %.1f -> %zu segments, %lld packets fed (%.0f%% of the stream)\n",
              plan->frame_indices.size(), options.sampling.fps, segments.size(), static_cast<long long>(packets),
              100.0 * packets / info->num_frames());
  std::printf("cores online: %ld; wall-clock medians of %d runs, each variant in its own process\n",
              sysconf(_SC_NPROCESSORS_ONLN), repeats);

  // What VideoPipeline::process_bytes does (probe, plan, decode, per-frame hash + resize + normalize into
  // the tensor, final hash), spelled out so each worker's CPU time can be read.
  auto run = [&](int w, bool preprocess, bool skip, bool on_device = false) {
    return [&, w, preprocess, skip, on_device]() -> Timing {
      std::shared_ptr<const media::HwDecodeDevice> device;
      if (on_device) {
        auto d = media::open_hw_decode_device(media::VideoHwaccel::kCuda);
        if (!d.ok()) return {};
        device = *d;
      }
      const auto t0 = Clock::now();
      double serial = -thread_cpu_ms();
      auto vi = media::probe_video(clip);
      if (!vi.ok()) return {};
      auto pl = media::plan_video_sampling(*vi, options.sampling, {}, options.qwen2vl.temporal_patch_size);
      if (!pl.ok()) return {};
      auto fp = media::qwen2vl_plan_frames(vi->height, vi->width, options.qwen2vl, pl->frame_pixels);
      if (!fp.ok()) return {};
      const size_t n = pl->frame_indices.size();
      std::vector<float> tensor(preprocess ? fp->frame_floats() * n : 0);
      std::vector<media::FrameDigest> digests(n);
      serial += thread_cpu_ms();
      std::vector<double> worker_cpu;
      media::VideoDecodeOptions o;
      o.workers = w;
      o.skip_unsampled_nonref = skip;
      o.worker_cpu_ms = &worker_cpu;
      o.hw_device = device;
      Status st = media::decode_video_frames(clip, *vi, pl->frame_indices, o, [&](int64_t slot, const media::RgbImage& f) {
        if (!preprocess) return ok_status();
        digests[static_cast<size_t>(slot)] = media::qwen2vl_frame_digest(f);
        return media::qwen2vl_preprocess_frame_into(f, *fp, tensor.data() + fp->frame_floats() * static_cast<size_t>(slot));
      });
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.to_string().c_str());
        return {};
      }
      serial -= thread_cpu_ms();
      if (preprocess) (void)media::qwen2vl_content_hash(digests, fp->size, fp->options);
      serial += thread_cpu_ms();
      Timing t;
      t.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      double busiest = 0, sum = 0;
      for (double c : worker_cpu) busiest = std::max(busiest, c), sum += c;
      t.critical_cpu_ms = serial + busiest;
      t.total_cpu_ms = serial + sum;
      return t;
    };
  };
  auto resized = media::qwen2vl_plan_frames(info->height, info->width, options.qwen2vl, plan->frame_pixels);
  if (!resized.ok()) {
    std::fprintf(stderr, "%s\n", resized.status().to_string().c_str());
    return 1;
  }
  std::printf("decode + preprocess (probe, plan, decode, hash, resize to %lldx%lld, normalize: a MediaItem's work):\n",
              static_cast<long long>(resized->size.width), static_cast<long long>(resized->size.height));
  print_header();
  const std::vector<Result> full = run_interleaved(repeats, {run(1, true, true), run(workers, true, true)});
  const Result& seq = full[0];
  print("sequential, 1 decoder", full[0], seq);
  print(("parallel, " + std::to_string(workers) + " decoders").c_str(), full[1], seq);
  if (on_device_too) {
    std::printf("on the CUDA device (NVDEC; sampled frames copied back), against the sequential CPU run:\n");
    print_header();
    const std::vector<Result> hw =
        run_interleaved(repeats, {run(1, true, true), run(1, true, true, true), run(workers, true, true, true)});
    print("sequential, 1 CPU decoder", hw[0], hw[0]);
    print("sequential, 1 device decoder", hw[1], hw[0]);
    print(("parallel, " + std::to_string(workers) + " device decoders").c_str(), hw[2], hw[0]);
  }
  std::printf("decode + RGB conversion only:\n");
  print_header();
  const std::vector<Result> dec =
      run_interleaved(repeats, {run(1, false, true), run(workers, false, true), run(1, false, false)});
  print("sequential, 1 decoder", dec[0], dec[0]);
  print(("parallel, " + std::to_string(workers) + " decoders").c_str(), dec[1], dec[0]);
  print("sequential, unsampled non-ref decoded", dec[2], dec[0]);

  if (access("/usr/bin/ffmpeg", X_OK) == 0 && !path.empty()) {
    // select=(eq(n\,a)+...)+(...): grouped, as the expression parser allows about 100 terms in one sum.
    std::string select = "select=";
    for (size_t i = 0; i < plan->frame_indices.size(); ++i) {
      if (i % 10 == 0) select += i ? ")+(" : "(";
      else select += "+";
      select += "eq(n\\," + std::to_string(plan->frame_indices[i]) + ")";
    }
    select += ")";
    const std::string scale = ",scale=" + std::to_string(resized->size.width) + ":" +
                              std::to_string(resized->size.height) + ":flags=bicubic";
    std::printf("ffmpeg command line (same frames, resized to the same size, rgb24 to /dev/null; CPU = user+sys):\n");
    print_header();
    for (const char* threads : {"1", "0"}) {
      const std::vector<std::string> args = {"/usr/bin/ffmpeg", "-nostdin", "-v", "error", "-threads", threads, "-i",
                                             path, "-vf", select + scale, "-vsync", "0", "-pix_fmt", "rgb24",
                                             "-f", "rawvideo", "-y", "/dev/null"};
      const Result ff = run_ffmpeg(repeats, args);
      print(threads[0] == '1' ? "ffmpeg -threads 1" : "ffmpeg -threads 0 (auto)", ff, seq);
    }
    std::printf("  (ratios against the sequential decode + preprocess above)\n");
  } else {
    std::printf("ffmpeg command line: skipped (/usr/bin/ffmpeg not found)\n");
  }
  return 0;
}
