// Helpers for tests: where the test data lives, .npy loading, random inputs, error metrics.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mms::testing {

// Directory of tests/data: $MMS_TEST_DATA when set, else the source tree path compiled in.
std::string test_data_dir();
std::string test_data(const std::string& relative);

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// Loads a little-endian float32 .npy file (C order). Fails the current test (ADD_FAILURE) on error.
NpyArray load_npy_f32(const std::string& path);

// Parses a JSON file (a reference output, a report). Throws nlohmann::json::parse_error on bad JSON.
nlohmann::json load_json(const std::string& path);

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.f, float hi = 1.f);

// max |a - b| and max |a - b| / max(|b|) over equal-length arrays.
float max_abs_diff(const float* a, const float* b, size_t n);
float rel_error(const float* a, const float* b, size_t n);

}  // namespace mms::testing
