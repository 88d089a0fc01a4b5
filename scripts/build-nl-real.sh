#!/usr/bin/env bash
# The real national atlas from ../shared/data (README.md, "Use real CBS data"): the 2020 buurt
# geometry (13,594 buurten) with, for 2024, the KWB subset and the StatLine "CSV with titles"
# export (names of every gemeente, wijk and buurt; age groups), and for 2017 the StatLine export
# of 83765NED. Few domains have data in these files (2017: inkomen; 2024: gezondheid,
# veiligheid, huisvesting), so the index is ranked on the domains there are (--min-domains 1),
# and the map says which domains are missing.
#
# Usage: scripts/build-nl-real.sh [OUT [BUILD OPTIONS…]]   (default out/nl-real; further
# arguments go to `mdi-atlas build`, e.g. --no-tiles)
# MDI_ATLAS_BIN=path uses that binary instead of `cargo run --release`; MDI_DATA_DIR points at
# another copy of the data; MIN_DOMAINS (default 1) is passed as --min-domains (bench/soak.sh
# builds a second variant with 2).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/nl-real}
[ $# -gt 0 ] && shift
nl=${MDI_DATA_DIR:-../shared/data}/nl
if [ ! -d "$nl" ]; then
  echo "no real data at $nl (set MDI_DATA_DIR)" >&2
  exit 3
fi
if [ -n "${MDI_ATLAS_BIN:-}" ]; then bin=("$MDI_ATLAS_BIN"); else bin=(cargo run --release --quiet -p mdi-atlas --); fi
"${bin[@]}" build --profile geodata/profiles/nl-cbs.toml \
  --indicators "2024=$nl/kwb_2024_buurt_subset.csv.gz" \
  --indicators "2024=$nl/kwb_2024_statline_leeftijd.csv.gz" \
  --indicators "2017=$nl/kwb_2017_statline_export.csv.gz" \
  --areas "$nl/cbs_buurt_2020.topojson.gz" \
  --min-domains "${MIN_DOMAINS:-1}" --out "$out" "$@"
