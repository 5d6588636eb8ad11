// Runs the real `mmserve serve` binary as a child process for end-to-end tests: 127.0.0.1, an ephemeral
// port (`--port 0`) read from its stdout ("listening on port N"), OMP_WAIT_POLICY=passive in its
// environment (servers share few cores with the test), SIGTERM (then SIGKILL) on stop or destruction.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
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
  FILE* out = nullptr;
  uint16_t port = 0;
  std::thread drain;  // keeps reading the child's stdout after the port line so it never blocks

  ServeProcess() = default;
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // `mmserve serve --port 0 <args...>`; true once the server printed its port.
  bool start(const std::vector<std::string>& args) {
    const std::string exe = mmserve_bin();
    if (exe.empty()) return false;
    std::vector<std::string> argv_s = {exe, "serve", "--host", "127.0.0.1", "--port", "0"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      return false;
    }
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      setenv("OMP_WAIT_POLICY", "passive", 1);
      execv(exe.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out = fdopen(fds[0], "r");
    char line[4096];
    while (fgets(line, sizeof line, out)) {  // "listening on port N"
      unsigned p = 0;
      if (sscanf(line, "listening on port %u", &p) == 1) {
        port = static_cast<uint16_t>(p);
        drain = std::thread([f = out] {
          char buf[4096];
          while (fgets(buf, sizeof buf, f)) {
          }
        });
        return true;
      }
    }
    return false;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  // SIGTERM, waits up to 10 s, then SIGKILL. The exit status; -2 killed by a signal, -3 had to SIGKILL.
  int stop() {
    int rc = -1;
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      bool done = false;
      for (int i = 0; i < 1000 && !done; ++i) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
          done = true;
          rc = WIFEXITED(st) ? WEXITSTATUS(st) : -2;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
      if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        rc = -3;
      }
      pid = -1;
    }
    if (drain.joinable()) drain.join();  // the pipe is at EOF once the child is gone
    return rc;
  }

  ~ServeProcess() {
    stop();
    if (out) fclose(out);
  }
};

}  // namespace mms::testing
