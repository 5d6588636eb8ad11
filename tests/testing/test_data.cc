#include "testing/test_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace mms::testing {

std::string test_data_dir() {
  if (const char* d = std::getenv("MMS_TEST_DATA"); d != nullptr && *d) return d;
  return MMS_SOURCE_TEST_DATA;
}

std::string test_data(const std::string& relative) { return test_data_dir() + "/" + relative; }

NpyArray load_npy_f32(const std::string& path) {
  NpyArray out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return out;
  }
  char magic[6];
  in.read(magic, 6);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    ADD_FAILURE() << path << ": not a .npy file";
    return out;
  }
  unsigned char ver[2];
  in.read(reinterpret_cast<char*>(ver), 2);
  uint32_t hlen = 0;
  if (ver[0] == 1) {
    uint16_t h;
    in.read(reinterpret_cast<char*>(&h), 2);
    hlen = h;
  } else {
    in.read(reinterpret_cast<char*>(&hlen), 4);
  }
  std::string header(hlen, '\0');
  in.read(header.data(), hlen);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    ADD_FAILURE() << path << ": expected little-endian f4 in C order, header " << header;
    return out;
  }
  auto lp = header.find('(');
  auto rp = header.find(')');
  std::stringstream ss(header.substr(lp + 1, rp - lp - 1));
  std::string item;
  int64_t n = 1;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    out.shape.push_back(std::stoll(item));
    n *= out.shape.back();
  }
  out.data.resize(static_cast<size_t>(n));
  in.read(reinterpret_cast<char*>(out.data.data()), n * 4);
  if (!in) ADD_FAILURE() << path << ": truncated";
  return out;
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

float rel_error(const float* a, const float* b, size_t n) {
  float scale = 0;
  for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(b[i]));
  return max_abs_diff(a, b, n) / std::max(scale, 1e-30f);
}

nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace mms::testing
