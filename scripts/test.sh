#!/usr/bin/env bash
# Builds everything and runs every test through ctest (the README's test command; .ci/run runs this).
# Then rebuilds the unit tests of the core layers with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs them (set MMS_ASAN=0 to skip that stage). The last line printed is ctest's summary of all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" | tee "$log"

if [ "${MMS_ASAN:-1}" != "0" ]; then
  # The layers that parse untrusted bytes (media, model files, tokenizer, templates), do their own memory
  # arithmetic (kernels, tensor, kv) or bookkeeping (sched, encoder cache), and run the model (exec). The
  # golden tests run the same forward passes as exec's at larger sizes; they run in the main build only,
  # to keep CI's 2-core build well under 30 minutes.
  asan_targets=(mms_common_tests mms_tensor_tests mms_kernels_tests mms_model_tests mms_kv_tests mms_encoder_cache_tests
                mms_media_tests mms_sched_tests mms_exec_tests)
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DMMS_SANITIZE=ON -DMMS_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)" --target "${asan_targets[@]}"
  # Only the executables built above are discovered; placeholders of the others are excluded.
  # tests/lsan.supp lists leaks inside third-party libraries (with why), never ours.
  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E "_NOT_BUILT" |
    sed 's/^\([0-9]*% tests passed\)/ASan+UBSan: \1/'
fi
# ctest lists skipped tests after its summary; repeat the summary of the full run as the closing line.
grep -E "^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1
