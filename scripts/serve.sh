#!/usr/bin/env bash
# Builds mmserve and runs it on the bundled default model (the README's run command).
# Until the HTTP server lands this runs `mmserve generate` on the bundled tiny Qwen2 model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/tools/mmserve generate --model tests/data/tiny-qwen2-hf \
  --prompt $'<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n' -n 16 "$@"
