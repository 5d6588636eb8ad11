// Media sources: data URLs and base64, local files confined to the allowed directory (../ escapes,
// symlinks out, special files), and remote fetches against a local HTTP server on 127.0.0.1.
#include "media/media_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "media_test_util.h"

namespace mms::media {
namespace {

namespace fs = std::filesystem;
using testing::b64;

TEST(Base64, DecodesAndRejects) {
  for (size_t n = 0; n < 20; ++n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 37 + 11);
    auto d = base64_decode(b64(v), 1 << 20);
    ASSERT_TRUE(d.ok()) << n;
    EXPECT_EQ(*d, v);
    std::string unpadded = b64(v);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    EXPECT_EQ(base64_decode(unpadded, 1 << 20).value(), v);
  }
  EXPECT_EQ(base64_decode("aGVs\nbG8=", 100).value(), (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  auto bad = base64_decode("aGVs*G8=", 100);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("position 4"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(base64_decode("aGVsbG8=aGVs", 100).ok());  // data after padding
  EXPECT_FALSE(base64_decode("aGVsb", 100).ok());         // 1 mod 4
  EXPECT_FALSE(base64_decode("aGVsbG8===", 100).ok());
  EXPECT_EQ(base64_decode(std::string(400, 'A'), 100).status().code(), StatusCode::kResourceExhausted);
}

TEST(DataUrl, ParsesAndReportsErrors) {
  const std::vector<uint8_t> png = testing::media_file("src/png_rgb.png");
  auto ok = parse_data_url("data:image/png;base64," + b64(png), 1 << 20);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->data, png);
  EXPECT_EQ(ok->media_type, "image/png");
  auto params = fetch_media("DATA:Image/JPEG;name=x.jpg;base64," + b64(png), {});
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->media_type, "image/jpeg");
  EXPECT_TRUE(parse_data_url("data:;base64," + b64(png), 1 << 20).ok());

  struct Case {
    std::string url;
    const char* needle;
  } cases[] = {
      {"data:image/png;base64", "no ','"},
      {"data:image/png,rawbytes", "base64"},
      {"data:image/png;base64,", "empty payload"},
      {"data:image/png;base64,@@@@", "invalid base64 character"},
      {"data:png;base64,AAAA", "type/subtype"},
  };
  for (const Case& c : cases) {
    auto r = parse_data_url(c.url, 1 << 20);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << c.url << ": " << r.status().message();
  }
  auto big = parse_data_url("data:image/png;base64," + b64(png), 100);
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(fetch_media("ftp://x/y.png", {}).status().message().find("unsupported media URL scheme"), std::string::npos);
}

class LocalFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("mms_media_src_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "allowed" / "sub");
    fs::create_directories(base_ / "outside");
    write(base_ / "allowed" / "sub" / "a b.png", "PNGDATA");
    write(base_ / "outside" / "secret.png", "SECRET");
    fs::create_symlink(base_ / "outside" / "secret.png", base_ / "allowed" / "link_out.png");
    fs::create_symlink(base_ / "outside", base_ / "allowed" / "dir_out");
    fs::create_symlink(base_ / "allowed" / "sub" / "a b.png", base_ / "allowed" / "link_in.png");
    options_.allowed_local_dir = (base_ / "allowed").string();
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  std::string allowed(const std::string& rel) const { return (base_ / "allowed" / rel).string(); }

  fs::path base_;
  MediaSourceOptions options_;
};

TEST_F(LocalFiles, ReadsInsideTheAllowedDirectory) {
  for (const std::string& url :
       {"file://" + allowed("sub/a%20b.png"), "file://localhost" + allowed("sub/a%20b.png"), allowed("sub/a b.png"),
        std::string("sub/a b.png"), allowed("sub/../sub/a b.png"), allowed("link_in.png")}) {
    auto r = fetch_media(url, options_);
    ASSERT_TRUE(r.ok()) << url << ": " << r.status().to_string();
    EXPECT_EQ(std::string(r->data.begin(), r->data.end()), "PNGDATA");
    EXPECT_EQ(r->kind, MediaSourceKind::kFile);
  }
}

TEST_F(LocalFiles, RejectsEscapes) {
  for (const std::string& url :
       {allowed("../outside/secret.png"), std::string("../outside/secret.png"), allowed("link_out.png"),
        allowed("dir_out/secret.png"), "file://" + allowed("sub/../../outside/secret.png"), std::string("/etc/passwd"),
        allowed("../outside/does-not-exist.png")}) {
    auto r = fetch_media(url, options_);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url << ": " << r.status().to_string();
    EXPECT_NE(r.status().message().find("outside the allowed directory"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(fetch_media(allowed("nope.png"), options_).status().code(), StatusCode::kNotFound);
  EXPECT_NE(fetch_media(allowed("sub"), options_).status().message().find("not a regular file"), std::string::npos);
  EXPECT_FALSE(fetch_media("file://evil.example.com/etc/passwd", options_).ok());
  MediaSourceOptions small = options_;
  small.max_bytes = 3;
  EXPECT_EQ(fetch_media(allowed("sub/a b.png"), small).status().code(), StatusCode::kResourceExhausted);
  MediaSourceOptions off;
  auto disabled = fetch_media(allowed("sub/a b.png"), off);
  EXPECT_NE(disabled.status().message().find("local media files are disabled"), std::string::npos);
}

// A tiny HTTP/1.1 server on 127.0.0.1, one thread per connection.
class TestHttpServer {
 public:
  TestHttpServer() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
    for (auto& t : handlers_) t.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<uint8_t> png = testing::media_file("src/png_rgb.png");

 private:
  void accept_loop() {
    while (!stop_) {
      boost::asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) break;
      handlers_.emplace_back([this, sock = std::move(s)]() mutable { handle(std::move(sock)); });
    }
  }
  void handle(boost::asio::ip::tcp::socket sock) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(sock, buf, req, ec);
    if (ec) return;
    const std::string target(req.target());
    if (target == "/slow") {
      for (int i = 0; i < 40 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return;
    }
    http::response<http::vector_body<uint8_t>> res;
    res.version(11);
    if (target == "/img.png") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "image/png; charset=binary");
      res.body() = png;
    } else if (target == "/big") {
      res.result(http::status::ok);
      res.body().assign(2 << 20, 0x55);
    } else if (target == "/redirect") {
      res.result(http::status::found);
      res.set(http::field::location, "/img.png");
    } else if (target == "/loop") {
      res.result(http::status::found);
      res.set(http::field::location, "/loop");
    } else {
      res.result(http::status::not_found);
    }
    res.prepare_payload();
    http::write(sock, res, ec);
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> handlers_;
};

TEST(RemoteMedia, DisabledByDefault) {
  auto r = fetch_media("https://example.com/cat.png", {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("remote media URLs are not enabled"), std::string::npos);
}

TEST(RemoteMedia, RefusesNonPublicAddressesBeforeConnecting) {
  MediaSourceOptions o;
  o.allow_remote = true;
  o.remote_timeout = std::chrono::milliseconds(3000);
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/x.png", "http://192.168.0.1/x.png",
                          "http://172.20.0.1/x.png", "http://100.64.0.1/x.png", "http://0.0.0.0/x.png",
                          "http://[::1]:8080/x.png", "http://[fd00::1]/x.png", "http://[fe80::1]/x.png",
                          "http://[::ffff:127.0.0.1]/x.png", "https://localhost/x.png"}) {
    auto r = fetch_media(url, o);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url << ": " << r.status().to_string();
    EXPECT_NE(r.status().message().find("non-public address"), std::string::npos) << url << ": " << r.status().to_string();
  }
}

TEST(RemoteMedia, FetchesWithLimits) {
  TestHttpServer server;
  MediaSourceOptions o;
  o.allow_remote = true;
  o.remote_timeout = std::chrono::milliseconds(3000);
  // The test server is on loopback, which is refused by default.
  auto refused = fetch_media(server.url("/img.png"), o);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("non-public address (127.0.0.1)"), std::string::npos)
      << refused.status().to_string();
  o.allow_private_addresses = true;
  auto ok = fetch_media(server.url("/img.png"), o);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->data, server.png);
  EXPECT_EQ(ok->media_type, "image/png");
  EXPECT_EQ(ok->kind, MediaSourceKind::kRemote);
  auto redirected = fetch_media(server.url("/redirect"), o);
  ASSERT_TRUE(redirected.ok()) << redirected.status().to_string();
  EXPECT_EQ(redirected->data, server.png);
  EXPECT_NE(fetch_media(server.url("/loop"), o).status().message().find("too many redirects"), std::string::npos);
  auto missing = fetch_media(server.url("/missing"), o);
  EXPECT_NE(missing.status().message().find("HTTP 404"), std::string::npos) << missing.status().to_string();

  MediaSourceOptions small = o;
  small.max_bytes = 1 << 20;
  auto big = fetch_media(server.url("/big"), small);
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted) << big.status().to_string();

  MediaSourceOptions quick = o;
  quick.remote_timeout = std::chrono::milliseconds(200);
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = fetch_media(server.url("/slow"), quick);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(slow.status().code(), StatusCode::kUnavailable) << slow.status().to_string();
  EXPECT_NE(slow.status().message().find("timed out"), std::string::npos);
  EXPECT_LT(took, std::chrono::milliseconds(1500));

  MediaSourceOptions listed = o;
  listed.allowed_remote_domains = {"example.com"};
  auto blocked = fetch_media(server.url("/img.png"), listed);
  EXPECT_NE(blocked.status().message().find("not in the allowed domains"), std::string::npos);
  EXPECT_FALSE(fetch_media("http://user:pw@127.0.0.1/x", o).ok());
  EXPECT_FALSE(fetch_media("http://127.0.0.1:99999/x", o).ok());
}

}  // namespace
}  // namespace mms::media
