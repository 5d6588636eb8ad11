#!/usr/bin/env bash
# Installs exactly the Debian 12 packages mmserve's build, tests and benchmarks need. Idempotent: does
# nothing when they are all present. Run as root (or with sudo available). With --train, also what
# retraining the bundled model needs (tools/tiny_vlm: PyTorch, NumPy, and OpenBLAS, without which Debian's
# torch falls back to the reference BLAS and trains ~15x slower). Then, where Node.js is
# installed, the end-to-end tests' npm packages (tests/node: the official `openai` SDK) from the committed
# lock file; that step only warns on failure (offline), as the C++ build and tests do not need it.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config       # toolchain (GCC 12, CMake 3.25)
  libgtest-dev libgmock-dev libbenchmark-dev         # tests, benchmarks
  libfmt-dev                                         # formatting for logs and messages
  libcli11-dev                                       # command line of the mmserve binary
  nlohmann-json3-dev                                 # JSON: config.json, tokenizer.json, safetensors headers
  libpcre2-dev                                       # tokenizer pre-tokenizer regexes (Unicode classes, lookahead)
  libutf8proc-dev                                    # NFC normalization for the tokenizer
  libxxhash-dev                                      # content hashes
  libdnnl-dev                                        # oneDNN GEMM for prefill (AMX where present)
  libomp-dev                                         # OpenMP runtime headers (GCC's libgomp is used)
  libboost1.81-dev                                   # Boost.Beast/Asio (header-only): HTTP for bench, server, router
  libturbojpeg0-dev libpng-dev                       # procedural JPEG/PNG images sent by mmserve bench; PNG decoding
  libjpeg62-turbo-dev                                # JPEG decoding (libjpeg API of libjpeg-turbo)
  libwebp-dev libgif-dev libexif-dev                 # WebP (incl. animated) and GIF decoding, EXIF orientation
  libssl-dev                                         # https fetches of remote media
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev  # video demux/decode/convert (FFmpeg 5.1)
  python3 python3-pil                                # the bundled model's end-to-end test draws its scenes
)
if [ "${1:-}" = "--train" ]; then
  PACKAGES+=(python3-torch python3-numpy libopenblas0-openmp)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# tests/node/node_modules, when absent or older than the lock file (npm ci rewrites the hidden lock file
# node_modules/.package-lock.json, so its age tells when the install happened).
NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && [ -f "$NODE_DIR/package-lock.json" ]; then
  stamp="$NODE_DIR/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$NODE_DIR/package-lock.json" -nt "$stamp" ] || [ "$NODE_DIR/package.json" -nt "$stamp" ]; then
    echo "install-deps: npm ci in tests/node"
    if ! npm ci --prefix "$NODE_DIR" --no-audit --no-fund; then
      echo "install-deps: warning: npm ci failed (offline?); the openai SDK end-to-end test will be skipped" >&2
    fi
  fi
fi
