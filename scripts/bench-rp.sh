#!/usr/bin/env bash
# Relying-party speed, side by side in one run: `road validate` and rpki-client 9.5
# (Debian 13 chroot of ../shared/peers/trixie.sh), offline over the same cache,
# (1) on the real LACNIC tree of 2023 at its pinned time and (2) on a generated
# tree of VRPS VRPs (default 400,000). Prints both wall times, the ratio
# road/rpki-client (goal <= 0.5), road's peak RSS (goal <= 1 GiB at 400k) and
# road's CPU/wall ratio (signature checks on every core).
#   scripts/bench-rp.sh [VRPS]
set -euo pipefail
cd "$(dirname "$0")/.."
VRPS=${1:-400000}
SHARED=$(cd .. && pwd)/shared
T=$SHARED/peers/trixie.sh
bash "$T" setup >/dev/null
W=$(mktemp -d /tmp/bench-rp.XXXXXX); chmod 755 "$W"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
go build -o "$W/road" ./cmd/road

# run NAME TAL CACHE [AT]: one road run and one rpki-client run on copies of CACHE
run() {
  local name=$1 tal=$2 cache=$3 at=${4:-}
  mkdir -p "$W/$name-rc" "$W/$name-out"; cp -a "$cache/." "$W/$name-rc/"; local tb; tb=$(basename "$tal"); cp "$tal" "$W/$name-out/$tb"  # its name picks ta/NAME/ in the cache
  bash "$T" run chown -R _rpki-client "$W/$name-rc" "$W/$name-out"
  local atflag=() fake=()
  if [ -n "$at" ]; then
    atflag=(--at "$at")
    fake=(env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$(date -u -d "$at" '+%Y-%m-%d %H:%M:%S')")
  fi
  /usr/bin/time -f '%e %U %S %M' -o "$W/$name-road.time" "$W/road" validate --tal "$tal" --cache "$cache" "${atflag[@]}" -o json \
    >"$W/$name-road.json" 2>"$W/$name-road.err"
  local s e
  s=$(date +%s.%N)
  bash "$T" run "${fake[@]}" rpki-client -n -j -d "$W/$name-rc" -t "$W/$name-out/$tb" "$W/$name-out" >"$W/$name-rc.log" 2>&1 \
    || { echo "rpki-client failed:"; tail -3 "$W/$name-rc.log"; exit 1; }
  e=$(date +%s.%N)
  read -r rw ru rs rm <"$W/$name-road.time"
  local rcw; rcw=$(echo "$e - $s" | bc)
  local vr vc
  vr=$(python3 -c "import json;print(len({(r['prefix'],r['maxLength'],str(r['asn'])) for r in json.load(open('$W/$name-road.json'))['roas']}))")
  vc=$(python3 -c "import json;print(len({(r['prefix'],r['maxLength'],str(r['asn'])) for r in json.load(open('$W/$name-out/json'))['roas']}))")
  printf '%-8s VRPs road %s rpki-client %s | wall road %.2fs rpki-client %.2fs ratio %.3f | road peak RSS %d MiB, CPU/wall %.2f\n' \
    "$name" "$vr" "$vc" "$rw" "$rcw" "$(echo "$rw / $rcw" | bc -l)" "$((rm / 1024))" "$(echo "($ru + $rs) / $rw" | bc -l)"
}

mkdir -p "$W/lacnic"; tar -xzf "$SHARED/corpus/real-lacnic-2023/cache.tar.gz" -C "$W/lacnic"
run lacnic "$SHARED/corpus/real-lacnic-2023/lacnic.tal" "$W/lacnic" 2023-11-07T23:00:00Z
rm -rf "$W/lacnic" "$W/lacnic-rc"
go run ./scripts/gentree -out "$W/gen" -vrps "$VRPS" -cas $(( VRPS / 2000 )) -per 10 >/dev/null
run generated "$W/gen/tree.tal" "$W/gen"
