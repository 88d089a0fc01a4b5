#!/usr/bin/env bash
# The main job in one command: build the web client (npm) and the server (cargo), then serve
# an atlas with the client at http://127.0.0.1:8080/. Without arguments it serves the embedded
# demo (built on first use into ~/.cache/mdi-atlas/); any arguments go to `mdi-atlas serve`,
# e.g. `bash scripts/start.sh --atlas out/nl-2024 --bind 0.0.0.0:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The client's dependencies exactly as web/package-lock.json pins them (MapLibre GL JS, esbuild,
# TypeScript); skipped when they are already installed from the same lock file.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm ci --prefix web --no-audit --no-fund
fi
# Type-check and bundle into web/dist/ (content-hashed assets plus their .gz).
npm run --silent build --prefix web

exec cargo run --release --locked -p mdi-atlas -- serve --web web/dist "$@"
