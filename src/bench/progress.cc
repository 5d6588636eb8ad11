// Terminal progress bar.
#include "bench/progress.h"

#include <unistd.h>

#include <cstdio>

namespace mms::bench {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::update(int64_t done, int64_t errors) {
  done_ = done, errors_ = errors;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100) && done < total_) return;
  last_ = now;
  draw(done, errors);
}

void ProgressBar::draw(int64_t done, int64_t errors) {
  if (!enabled_) return;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "\r%s [%s] %lld/%lld ok %lld err %lld %.1fs ", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_),
               static_cast<long long>(done - errors), static_cast<long long>(errors), secs);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  draw(done_, errors_);
  std::fputc('\n', stderr);
}

}  // namespace mms::bench
