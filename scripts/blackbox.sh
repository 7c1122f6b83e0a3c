#!/usr/bin/env bash
# Black-box checks of the built road and roactl on loopback, run by `make test` after the
# Go tests: each scripts/blackbox.d/NN-*.sh is one check. It prints "ok: ..." lines and
# exits 0, or prints "FAIL: ..." and exits non-zero. Run one: scripts/blackbox.sh 20-flood
set -euo pipefail
cd "$(dirname "$0")/.."
BB_TMP=$(mktemp -d /tmp/road-bb.XXXXXX)
chmod 755 "$BB_TMP"
trap 'rm -rf "$BB_TMP"' EXIT
mkdir -p "$BB_TMP/bin"
for c in road roactl; do go build -o "$BB_TMP/bin/$c" "./cmd/$c"; done
export BB_TMP ROAD=$BB_TMP/bin/road ROACTL=$BB_TMP/bin/roactl
checks=(scripts/blackbox.d/[0-9]*.sh)
if [ $# -gt 0 ]; then checks=(); for n in "$@"; do checks+=(scripts/blackbox.d/"$n"*.sh); done; fi
failed=0
for f in "${checks[@]}"; do
  [ -f "$f" ] || { echo "FAIL: no check $f"; failed=1; continue; }
  echo "== $f"
  if ! bash "$f"; then echo "FAIL: $f"; failed=1; fi
done
exit $failed
