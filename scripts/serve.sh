#!/usr/bin/env bash
# Builds mmserve and starts the OpenAI-compatible server on the bundled default model (the README's run
# command). Extra arguments go to `mmserve serve` (e.g. --port 8080).
# The bundled model is the tiny Qwen2 test fixture (random weights: real architecture, tokenizer and
# loading path, but its text is noise) until a trained default model ships.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/tools/mmserve serve --model tests/data/tiny-qwen2-hf --served-model-name tiny-qwen2 "$@"
