// The real `mmserve serve` binary for end-to-end tests: started on 127.0.0.1 with an ephemeral port read
// from its stdout ("listening on port N"), OMP_WAIT_POLICY=passive, killed with the test process
// (PR_SET_PDEATHSIG) and stopped (SIGTERM, then SIGKILL) on every path out of a test.
#pragma once

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace mms::testing {

// $MMS_BIN, else <build>/tools/mmserve next to this test's <build>/tests/ directory; "" when not built.
inline std::string mmserve_bin() {
  const char* b = std::getenv("MMS_BIN");
  if (b && std::filesystem::exists(b)) return b;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  auto guess = self.parent_path().parent_path() / "tools" / "mmserve";
  return std::filesystem::exists(guess) ? guess.string() : "";
}

struct ServeProcess {
  pid_t pid = -1;
  uint16_t port = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::thread drain;  // reads the server's stdout after the port line so it never blocks on a full pipe

  // Starts `mmserve serve --model <model> --host 127.0.0.1 --port 0 <defaults> <extra>` (no --model when
  // `model` is empty: the bundled model); false when it exits (or closes stdout) before printing its port.
  bool start(const std::string& model, const std::vector<std::string>& extra = {}) {
    const std::string bin = mmserve_bin();
    std::vector<std::string> args = {bin, "serve", "--host", "127.0.0.1", "--port", "0", "--kv-cache-memory", "64MiB",
                                     "--drain-timeout", "10"};
    if (!model.empty()) args.insert(args.begin() + 2, {"--model", model});
    args.insert(args.end(), extra.begin(), extra.end());
    int fds[2];
    if (pipe(fds) != 0) return false;
    const pid_t parent = getpid();
    pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      setenv("OMP_WAIT_POLICY", "passive", 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[4096];
    bool ok = false;
    while (fgets(line, sizeof line, out)) {
      unsigned p = 0;
      if (sscanf(line, "listening on port %u", &p) == 1) {
        port = static_cast<uint16_t>(p);
        ok = true;
        break;
      }
    }
    drain = std::thread([out] {
      char buf[4096];
      while (fread(buf, 1, sizeof buf, out) > 0) {
      }
      fclose(out);
    });
    return ok;
  }
  // SIGTERM, up to `wait_s` for the exit, then SIGKILL. The exit status (-2: killed by a signal, -3: had to
  // be SIGKILLed, -1: not running).
  int stop(double wait_s = 15) {
    if (pid <= 0) return -1;
    kill(pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < static_cast<int>(wait_s * 100); ++i) {
      if (waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    pid = -1;
    return -3;
  }
  ~ServeProcess() {
    if (pid > 0) stop();
    if (drain.joinable()) drain.join();
  }
};

}  // namespace mms::testing
