// data: URLs, base64 and local files. Remote fetches are in remote_fetch.cc.
#include "media/media_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace mms::media {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string quote_short(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "'" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "...'" : "'");
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

StatusOr<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return invalid_argument("bad percent-escape in file URL");
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return invalid_argument("bad percent-escape in file URL");
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return invalid_argument("file URL contains a NUL byte");
    out += c;
    i += 2;
  }
  return out;
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

StatusOr<std::vector<uint8_t>> base64_decode(std::string_view text, int64_t max_bytes) {
  // Upper bound of the output before allocating anything.
  if (static_cast<int64_t>(text.size() / 4 * 3) > max_bytes + 3) {
    return resource_exhausted("base64 payload decodes to about " + std::to_string(text.size() / 4 * 3) +
                              " bytes, over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0, chars = 0, padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    else if (c == '=') {
      ++padding;
      continue;
    } else {
      return invalid_argument("invalid base64 character " + quote_short(std::string_view(&c, 1)) + " at position " +
                              std::to_string(i) + " (standard alphabet A-Z a-z 0-9 + / expected)");
    }
    if (padding) {
      return invalid_argument("invalid base64: data after '=' padding at position " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++chars;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (chars % 4 == 1) return invalid_argument("invalid base64: truncated (length is 1 mod 4)");
  if (padding > 2 || (padding && (chars + padding) % 4 != 0)) return invalid_argument("invalid base64 padding");
  if (static_cast<int64_t>(out.size()) > max_bytes) {
    return resource_exhausted("base64 payload decodes to " + std::to_string(out.size()) +
                              " bytes, over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

StatusOr<MediaBytes> parse_data_url(std::string_view url, int64_t max_bytes) {
  if (!iequals_prefix(url, "data:")) return invalid_argument("not a data URL: " + quote_short(url));
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) return invalid_argument("malformed data URL: no ',' before the payload");
  std::string_view header = url.substr(5, comma - 5);
  std::string_view payload = url.substr(comma + 1);
  MediaBytes out;
  out.kind = MediaSourceKind::kDataUrl;
  bool base64 = false;
  size_t start = 0;
  for (int part = 0; start <= header.size(); ++part) {
    size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view p = header.substr(start, end - start);
    if (part == 0) {
      out.media_type.assign(p.begin(), p.end());
      for (char& c : out.media_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!out.media_type.empty() && out.media_type.find('/') == std::string::npos) {
        return invalid_argument("malformed data URL: media type " + quote_short(p) + " is not type/subtype");
      }
    } else if (iequals_prefix(p, "base64") && p.size() == 6) {
      base64 = true;
    }
    start = end + 1;
  }
  if (!base64) return invalid_argument("data URL must be base64-encoded (data:<type>;base64,<data>)");
  if (payload.empty()) return invalid_argument("data URL has an empty payload");
  auto bytes = base64_decode(payload, max_bytes);
  if (!bytes.ok()) return bytes.status().with_context("data URL");
  out.data = std::move(*bytes);
  return out;
}

StatusOr<MediaBytes> read_local_media(std::string_view url_or_path, const MediaSourceOptions& options) {
  if (options.allowed_local_dir.empty()) {
    return invalid_argument("local media files are disabled on this server (no allowed local media directory)");
  }
  std::string path;
  if (iequals_prefix(url_or_path, "file:")) {
    std::string_view rest = url_or_path.substr(5);
    if (rest.substr(0, 2) != "//") return invalid_argument("malformed file URL (expected file:///path)");
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") return invalid_argument("file URL with a remote host " + quote_short(host));
    if (slash == std::string_view::npos) return invalid_argument("file URL without a path");
    rest = rest.substr(slash);
    if (const size_t q = rest.find_first_of("?#"); q != std::string_view::npos) rest = rest.substr(0, q);
    MMS_ASSIGN_OR_RETURN(path, percent_decode(rest));
  } else {
    path.assign(url_or_path.begin(), url_or_path.end());
    if (path.find('\0') != std::string::npos) return invalid_argument("path contains a NUL byte");
  }
  char root_buf[PATH_MAX];
  if (!::realpath(options.allowed_local_dir.c_str(), root_buf)) {
    return io_error("allowed local media directory '" + options.allowed_local_dir + "': " + errno_text(errno));
  }
  const std::string root = root_buf;
  if (path.empty() || path[0] != '/') path = root + "/" + path;
  const std::string shown = quote_short(path);
  const Status outside = invalid_argument("local media path " + shown + " is outside the allowed directory");

  char real_buf[PATH_MAX];
  if (!::realpath(path.c_str(), real_buf)) {
    const int err = errno;
    // Say "outside" for paths that are lexically outside, so existence outside the root cannot be probed.
    const std::string lexical = std::filesystem::path(path).lexically_normal().string();
    if (!is_under(lexical, root)) return outside;
    if (err == ENOENT || err == ENOTDIR) return not_found("local media file " + shown + " does not exist");
    return io_error("local media file " + shown + ": " + errno_text(err));
  }
  if (!is_under(real_buf, root)) return outside;

  Fd f;
  f.fd = ::open(real_buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (f.fd < 0) return io_error("cannot open local media file " + shown + ": " + errno_text(errno));
  // Re-check what was actually opened: a path component swapped for a symlink after realpath() is caught.
  char opened[PATH_MAX];
  const std::string proc = "/proc/self/fd/" + std::to_string(f.fd);
  const ssize_t n = ::readlink(proc.c_str(), opened, sizeof(opened) - 1);
  if (n <= 0) return io_error("cannot verify local media file " + shown);
  opened[n] = '\0';
  if (!is_under(opened, root)) return outside;
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return io_error("cannot stat local media file " + shown + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return invalid_argument("local media path " + shown + " is not a regular file");
  if (st.st_size > options.max_bytes) {
    return resource_exhausted("local media file " + shown + " is " + std::to_string(st.st_size) +
                              " bytes, over the limit of " + std::to_string(options.max_bytes) + " bytes");
  }
  MediaBytes out;
  out.kind = MediaSourceKind::kFile;
  out.data.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.data.size()) {
    const ssize_t r = ::read(f.fd, out.data.data() + got, out.data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("reading local media file " + shown + ": " + errno_text(errno));
    if (r == 0) break;  // shrank while reading
    got += static_cast<size_t>(r);
  }
  out.data.resize(got);
  return out;
}

StatusOr<MediaBytes> fetch_media(std::string_view url, const MediaSourceOptions& options) {
  if (url.empty()) return invalid_argument("empty media URL");
  if (iequals_prefix(url, "data:")) return parse_data_url(url, options.max_bytes);
  if (iequals_prefix(url, "http://") || iequals_prefix(url, "https://")) return fetch_remote_media(url, options);
  if (iequals_prefix(url, "file:")) return read_local_media(url, options);
  const size_t colon = url.find(':');
  const size_t slash = url.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash) && colon > 1) {
    return invalid_argument("unsupported media URL scheme in " + quote_short(url) +
                            " (data:, file:, http:, https: are supported)");
  }
  return read_local_media(url, options);
}

}  // namespace mms::media
