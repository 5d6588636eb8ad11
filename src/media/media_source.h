// Where media bytes come from: `data:` URLs (base64), local files confined to an allowed directory,
// and http(s):// downloads (off unless enabled; timeout, size limit, optional domain allowlist).
// Functions are thread-safe; each remote fetch runs its own short-lived I/O context on the calling
// thread (the preprocessing pool), so a slow server costs at most `remote_timeout` of that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms::media {

struct MediaSourceOptions {
  int64_t max_bytes = 64ll << 20;  // after base64 decoding / file size / response body
  // Local files (file:// URLs or paths) are readable only under this directory (after resolving
  // symlinks and ".."); empty disables local files.
  std::string allowed_local_dir;
  bool allow_remote = false;                         // http:// and https:// fetches
  std::vector<std::string> allowed_remote_domains;   // empty: any host; "example.com" also admits subdomains
  std::chrono::milliseconds remote_timeout{10000};   // whole fetch: resolve, connect, TLS, request, body
  // Hosts that resolve to loopback, private, link-local (cloud metadata), CGNAT, multicast or other
  // non-public addresses are refused unless this is set (a request must not make the server reach its own
  // network). The checked addresses are the ones connected to, so DNS rebinding cannot swap them.
  bool allow_private_addresses = false;
  int max_redirects = 3;
};

enum class MediaSourceKind { kDataUrl, kFile, kRemote };

struct MediaBytes {
  std::vector<uint8_t> data;
  std::string media_type;  // "image/png" from a data URL or Content-Type; may be empty
  MediaSourceKind kind = MediaSourceKind::kDataUrl;
};

// Dispatches on the scheme: "data:", "file:", "http:", "https:", otherwise a local path. Errors:
//   InvalidArgument     malformed URL / base64, disabled source, path outside the allowed directory,
//                       host not in the allowlist, HTTP error status
//   ResourceExhausted   larger than max_bytes
//   NotFound            no such local file
//   Unavailable         remote fetch failed (DNS, connect, TLS, timeout)
StatusOr<MediaBytes> fetch_media(std::string_view url, const MediaSourceOptions& options);

// data:[<media type>][;param=value]*;base64,<payload>. Only base64 payloads are accepted.
StatusOr<MediaBytes> parse_data_url(std::string_view url, int64_t max_bytes);

// Standard base64 (RFC 4648 alphabet, '=' padding optional, ASCII whitespace ignored). Errors name the
// offending character's position; ResourceExhausted when the output would exceed max_bytes.
StatusOr<std::vector<uint8_t>> base64_decode(std::string_view text, int64_t max_bytes);

// A file:// URL or a path (relative paths are taken relative to allowed_local_dir).
StatusOr<MediaBytes> read_local_media(std::string_view url_or_path, const MediaSourceOptions& options);

// http:// or https:// (certificate and host name verified against the system's CA store). Name
// resolution runs on its own thread so that a hanging resolver costs at most remote_timeout.
StatusOr<MediaBytes> fetch_remote_media(std::string_view url, const MediaSourceOptions& options);

}  // namespace mms::media
