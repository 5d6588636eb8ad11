#!/usr/bin/env bash
# Builds mmserve and starts the OpenAI-compatible server on the bundled default model (the README's run
# command). Extra arguments go to `mmserve serve` (e.g. --port 8080, or --model DIR for another model).
# The bundled model is models/tiny-qwen25vl-shapes: a tiny Qwen2.5-VL trained on synthetic pictures of
# shapes (tools/tiny_vlm), which `mmserve serve` loads when no --model is given.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/tools/mmserve serve "$@"
