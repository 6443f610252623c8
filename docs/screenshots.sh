#!/usr/bin/env bash
# Makes the README's pictures: docs/viewer.png (the viewer on the embedded Hino project at the
# default window size, under Xvfb, a sample site identified) and docs/sheet.png (the site sheet
# of sample site S-05). Needs ../shared/tools/xshot.sh (Xvfb, xdotool, ImageMagick).
set -euo pipefail
cd "$(dirname "$0")/.."
# SITELENS_BIN: a sitelens binary already built (else this builds the release one).
bin=${SITELENS_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --bin sitelens
  bin=target/release/sitelens
fi
shared=${SITELENS_SHARED:-../shared}

# A fresh settings folder: the default project, language and view, whatever this machine saved.
settings=$(mktemp -d)
trap 'rm -rf "$settings"' EXIT

# Click the map where sample site S-20 is at the default view (found on a screenshot): the
# identify dock opens beside the map; then the pointer leaves the map.
XDG_DATA_HOME=$settings bash "$shared/tools/xshot.sh" -s 1280x800 -w 6 \
  -a "mousemove 990 329 click 1" -a "mousemove 1275 795" \
  docs/viewer.png -- "$bin"

"$bin" sheet --site S-05 -o docs/sheet.png
# The README shows the sheet at a readable size: the top two thirds of the page.
if command -v convert >/dev/null; then
  convert docs/sheet.png -crop 100%x66%+0+0 +repage docs/sheet.png
fi
ls -l docs/viewer.png docs/sheet.png
