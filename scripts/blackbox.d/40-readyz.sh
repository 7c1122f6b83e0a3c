#!/usr/bin/env bash
# Readiness: road serve with only its listeners given (the RRDP base follows
# --https) is ready (/readyz 200, every part ok) within 30 s; when its own
# relying party fails (road.tal taken away, then a publication triggers a
# run) /readyz is 503 naming rp-own and roactl status shows the failing
# part, while /healthz stays 200; with road.tal back and the next run,
# /readyz is 200 again.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/readyz
HTTP=127.0.0.1:$(freeport); RTR=127.0.0.1:$(freeport); HTTPS=127.0.0.1:$(freeport)
"$ROAD" serve --data-dir "$D" --http "$HTTP" --rtr "$RTR" --https "$HTTPS" >"$D.log" 2>&1 &
ROAD_PID=$!; BB_PIDS+=("$ROAD_PID")

# wait_readyz CODE: until /readyz answers CODE (every 0.1 s, at most 30 s); its body in $BODY.
wait_readyz() {
  local i code
  for i in $(seq 1 300); do
    code=$(curl -s -o "$D.readyz" -w '%{http_code}' "http://$HTTP/readyz" || true)
    BODY=$(cat "$D.readyz" 2>/dev/null || true)
    [ "$code" = "$1" ] && return 0
    sleep 0.1
  done
  fail "/readyz did not answer $1 within 30 s (last $code $BODY): $(tail -3 "$D.log")"
}

# parts: the parts of $BODY as "part:ok" or "part:REASON", in order.
parts() {
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["status"], " ".join(c["part"]+":"+("ok" if c["ok"] else c["reason"]) for c in r["checks"]))' "$BODY"
}

start=$(date +%s.%N)
wait_readyz 200
took=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 1))")
[ "$(parts)" = "ready listeners:ok database:ok rp-own:ok publication:ok" ] || fail "/readyz 200 with $BODY"
grep -q "rrdp=https://$HTTPS/rrdp/" "$D.log" || fail "the RRDP base does not follow --https: $(grep 'road running' "$D.log")"
grep -qx "https://$HTTPS/ta/ta.cer" "$D/road.tal" || fail "the TAL's TA URI is not on --https: $(cat "$D/road.tal")"
ok "road serve with --http --rtr --https only: RRDP and the TAL on $HTTPS, /readyz 200 after ${took}s, every part ok"

export ROAD_SERVER=http://$HTTP ROAD_TOKEN=$(cat "$D/admin.token")
out=$("$ROACTL" status) || fail "roactl status: $out"
printf '%s\n' "$out" | grep -qE '^ready +yes$' || fail "roactl status does not say ready: $out"
printf '%s\n' "$out" | grep -qE '^  rp-own +ok: ' || fail "roactl status lacks the rp-own part: $out"

# road's own relying party fails: its TAL is gone; a publication makes it run.
mv "$D/road.tal" "$D/road.tal.saved"
"$ROACTL" roa add "192.0.2.0/24 => AS64496" >/dev/null || fail "roa add"
wait_readyz 503
[ "$(parts)" = "not-ready listeners:ok database:ok rp-own:rp-run-failed publication:ok" ] || fail "/readyz 503 with $BODY"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP/healthz")" = 200 ] || fail "/healthz is not 200 while not ready"
rc=0; out=$("$ROACTL" status) || rc=$?
[ "$rc" = 0 ] || fail "roactl status exited $rc"
printf '%s\n' "$out" | grep -qE '^ready +NO: rp-own$' || fail "roactl status does not name rp-own: $out"
printf '%s\n' "$out" | grep -qE '^  rp-own +NOT OK \(rp-run-failed\): own: rp-run-failed: ' ||
  fail "roactl status does not say what fails: $out"
out=$("$ROACTL" -o json status) || fail "roactl -o json status"
python3 -c 'import json,sys; r=json.loads(sys.argv[1])["ready"]; assert r["status"]=="not-ready" and [c["part"] for c in r["checks"] if not c["ok"]]==["rp-own"], r' "$out" ||
  fail "roactl -o json status: $out"
ok "without road.tal the next run fails: /readyz 503 naming rp-own (rp-run-failed), /healthz 200, roactl status shows it"

mv "$D/road.tal.saved" "$D/road.tal"
"$ROACTL" roa remove "192.0.2.0/24 => AS64496" >/dev/null || fail "roa remove"
wait_readyz 200
[ "$(parts)" = "ready listeners:ok database:ok rp-own:ok publication:ok" ] || fail "/readyz 200 again with $BODY"
ok "road.tal back and the next run: /readyz 200 again"
