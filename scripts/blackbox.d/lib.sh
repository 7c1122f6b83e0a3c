# Sourced by each check in scripts/blackbox.d: $ROAD, $ROACTL and $BB_TMP come from
# scripts/blackbox.sh. Every process a check starts is stopped when it exits.
set -euo pipefail
BB_PIDS=()
bb_cleanup() { for p in "${BB_PIDS[@]:-}"; do [ -n "$p" ] && { kill "$p" 2>/dev/null || true; }; done; wait 2>/dev/null || true; }
trap bb_cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# wait_http URL [tries]: until URL answers 2xx (every 0.1 s; readiness, not a fixed sleep).
wait_http() {
  local i
  for i in $(seq 1 "${2:-600}"); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

# start_road DIR [flags...]: road serve on free loopback ports with DIR as data directory;
# sets ROAD_PID HTTP HTTPS RTR ROAD_SERVER ROAD_TOKEN and waits until /healthz answers.
start_road() {
  local dir=$1; shift
  HTTP=127.0.0.1:$(freeport); HTTPS=127.0.0.1:$(freeport); RTR=127.0.0.1:$(freeport)
  "$ROAD" serve --data-dir "$dir" --http "$HTTP" --https "$HTTPS" --rtr "$RTR" \
    --rrdp-base "https://$HTTPS/rrdp/" "$@" >"$dir.log" 2>&1 &
  ROAD_PID=$!; BB_PIDS+=("$ROAD_PID")
  wait_http "http://$HTTP/healthz" || fail "road did not answer /healthz: $(tail -3 "$dir.log")"
  export ROAD_SERVER=http://$HTTP ROAD_TOKEN=$(cat "$dir/admin.token")
}
