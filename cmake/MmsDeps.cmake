# Every third-party dependency, found once. Packages come from Debian 12 (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# HTTP client/server: Boost.Beast/Asio, header-only (libboost1.81-dev).
find_package(Boost 1.81 REQUIRED)
# Procedural images for the load generator (bench/): JPEG via libturbojpeg, PNG via libpng.
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
find_package(PNG REQUIRED)
# Image decoding (media/): libjpeg-turbo's libjpeg API, libwebp (+ demux for animation and EXIF), giflib,
# libexif for the EXIF orientation tag.
find_package(JPEG REQUIRED)
find_package(GIF 5 REQUIRED)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp libwebpdemux)
pkg_check_modules(EXIF REQUIRED IMPORTED_TARGET libexif)
# https fetches of remote media (media/media_source.cc).
find_package(OpenSSL REQUIRED)
# Video demuxing, decoding and pixel-format conversion (media/video_*); the tests' clip writer also
# encodes with them (Debian 12: FFmpeg 5.1).
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)

# oneDNN: its CMake config wants OpenCL headers; the library and header are all we need.
find_library(DNNL_LIBRARY NAMES dnnl REQUIRED)
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h REQUIRED)
add_library(mms_dnnl INTERFACE)
target_link_libraries(mms_dnnl INTERFACE ${DNNL_LIBRARY})
target_include_directories(mms_dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})

if(MMS_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(MMS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
