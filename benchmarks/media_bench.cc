// Image preprocessing throughput on one thread (= per core): a 1280x720 JPEG (4:2:0, quality 85, the
// load generator's procedural content) decoded, resized to its smart_resize size (1288x728 under the
// default max_pixels), rescaled and normalized, content-hashed. Prints per-stage milliseconds and
// images per second. Not a test; numbers go to BENCHMARKS.md.
//   build/benchmarks/media_bench [--width 1280 --height 720 --iterations 200]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <vector>

#include "bench/image_gen.h"
#include "media/image_decoder.h"
#include "media/qwen2vl_preprocess.h"
#include "media/resample.h"

namespace {

// Thread CPU time, not wall time: on a shared machine other processes' time slices do not count
// (their cache and memory-bandwidth pressure still does).
double thread_cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

template <typename F>
double median_ms(int iterations, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const double t0 = thread_cpu_ms();
    f();
    ms.push_back(thread_cpu_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"media_bench: JPEG decode + Qwen2-VL preprocessing throughput, one thread"};
  int width = 1280, height = 720, iterations = 200;
  app.add_option("--width", width);
  app.add_option("--height", height);
  app.add_option("--iterations", iterations)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  using namespace mms;
  auto jpeg = bench::encode_test_image({width, height}, bench::ImageFormat::kJpeg, 1);
  if (!jpeg.ok()) {
    std::fprintf(stderr, "%s\n", jpeg.status().to_string().c_str());
    return 1;
  }
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(jpeg->data()), jpeg->size());
  const media::Qwen2VLImageOptions options;  // transformers defaults: max_pixels 28*28*1280
  auto decoded = media::decode_image(bytes);
  if (!decoded.ok()) {
    std::fprintf(stderr, "%s\n", decoded.status().to_string().c_str());
    return 1;
  }
  const auto size = media::qwen2vl_smart_resize(height, width, options.factor(), options.min_pixels,
                                                options.max_pixels).value();
  std::printf("input: %dx%d JPEG, %zu bytes; smart_resize -> %lldx%lld; %d iterations, median thread CPU time\n", width, height,
              jpeg->size(), static_cast<long long>(size.width), static_cast<long long>(size.height), iterations);

  volatile size_t sink = 0;
  const double decode_ms = median_ms(iterations, [&] { sink = sink + media::decode_image(bytes)->pixels.size(); });
  const double resize_ms = median_ms(iterations, [&] {
    sink = sink + media::resize_rgb(*decoded, static_cast<int32_t>(size.width), static_cast<int32_t>(size.height))
                      ->pixels.size();
  });
  const double hash_ms = median_ms(iterations, [&] {
    sink = sink + media::qwen2vl_content_hash(std::span(&*decoded, 1), size, options).lo;
  });
  const double preprocess_ms =
      median_ms(iterations, [&] { sink = sink + media::qwen2vl_preprocess_image(*decoded, options)->frames.size(); });
  const double total_ms = median_ms(iterations, [&] {
    auto img = media::decode_image(bytes);
    sink = sink + media::qwen2vl_preprocess_image(*img, options)->frames.size();
  });
  std::printf("decode            %7.2f ms\n", decode_ms);
  std::printf("resize (bicubic)  %7.2f ms\n", resize_ms);
  std::printf("content hash      %7.2f ms\n", hash_ms);
  std::printf("preprocess total  %7.2f ms  (resize + normalize + hash)\n", preprocess_ms);
  std::printf("end to end        %7.2f ms  -> %.1f images/s per core\n", total_ms, 1000.0 / total_ms);
  return 0;
}
