#!/usr/bin/env bash
# Benchmark of the web client (see bench/web.mjs): builds the client if web/dist is missing,
# then times first complete map, bundle size and recolour against `mdi-atlas serve` (demo).
#
#   bash bench/web.sh [--runs N] [--switches M]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/dist/index.html ]; then
  npm ci --prefix web --no-audit --no-fund
  npm run build --prefix web
fi
exec node bench/web.mjs "$@"
