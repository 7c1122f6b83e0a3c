#!/usr/bin/env bash
# road rtr with RTR waves: a new VRP file reaches the canary wave only; a restart mid-wave
# resumes the same state (it does not push the set to every wave); SIGUSR1 promotes; a failing
# health command rolls the canary back under a new serial and holds the set.
. "$(dirname "$0")/lib.sh"
command -v rtrdump >/dev/null || { echo "skip: no rtrdump (apt install stayrtr)"; exit 0; }
D=$BB_TMP/waves; mkdir -p "$D"
vrps() { # vrps PREFIX... : an rpki-client JSON with one VRP per prefix, origin AS64496
  python3 - "$@" <<'PY'
import json, sys, datetime
t = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"metadata": {"buildtime": t}, "roas": [{"prefix": p, "maxLength": int(p.split("/")[1]), "asn": 64496} for p in sys.argv[1:]]}))
PY
}
vrps 192.0.2.0/24 >"$D/v.tmp" && mv "$D/v.tmp" "$D/vrps.json"
touch "$D/healthy"
RTR=127.0.0.1:$(freeport); MET=127.0.0.1:$(freeport)
start_rtr() {
  "$ROAD" rtr --vrps "$D/vrps.json" --listen "$RTR" --metrics "$MET" --poll 100ms --notify-interval=-1s \
    --wave name=canary,hold=1h,source=127.0.0.1/32 --wave name=rest,hold=1h --wave-state "$D/state.json" \
    --wave-check-interval 100ms --wave-health-command "test -e $D/healthy" >>"$D/rtr.log" 2>&1 &
  RTR_PID=$!; BB_PIDS+=("$RTR_PID")
  wait_http "http://$MET/waves" || fail "road rtr did not serve /waves: $(tail -3 "$D/rtr.log")"
}
# waves: "canary-serial/canary-vrps rest-serial/rest-vrps held"
waves() { curl -sf "http://$MET/waves" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(" ".join("%d/%d" % (w["serial"], (w.get("set") or {}).get("vrps", 0)) for w in s["waves"]), s["held"])'; }
wait_waves() { local i; for i in $(seq 1 300); do [ "$(waves)" = "$1" ] && return 0; sleep 0.1; done; fail "waves are $(waves), want $1"; }
dump() { rtrdump -connect "$RTR" -rtr.version 1 -file "$D/dump.json" >/dev/null 2>&1 || fail "rtrdump failed"
  python3 -c 'import json,sys; print(" ".join(sorted(r["prefix"] for r in json.load(open(sys.argv[1]))["roas"])))' "$D/dump.json"; }

start_rtr
wait_waves "0/1 0/1 False"
vrps 192.0.2.0/24 198.51.100.0/24 >"$D/v.tmp" && mv "$D/v.tmp" "$D/vrps.json"
wait_waves "1/2 0/1 False"
[ "$(dump)" = "192.0.2.0/24 198.51.100.0/24" ] || fail "the canary router got $(dump)"
ok "a new VRP set reaches the canary wave only (rest keeps serial 0)"

kill "$RTR_PID"; wait "$RTR_PID" 2>/dev/null || true
start_rtr
wait_waves "1/2 0/1 False"
[ "$(dump)" = "192.0.2.0/24 198.51.100.0/24" ] || fail "after the restart the canary router got $(dump)"
ok "a restart mid-wave resumes: canary serves the new set, rest the old one"

kill -USR1 "$RTR_PID"
wait_waves "1/2 1/2 False"
ok "SIGUSR1 promotes the set to the rest wave"

vrps 203.0.113.0/24 >"$D/v.tmp" && mv "$D/v.tmp" "$D/vrps.json"
wait_waves "2/1 1/2 False"
rm "$D/healthy"
wait_waves "3/1 3/1 True"
[ "$(dump)" = "192.0.2.0/24" ] || fail "after the rollback the canary router got $(dump)"
grep -q 'rolled back' "$D/rtr.log" || fail "no rollback in the log"
ok "a failing health command rolls both waves back to the last completed set under a new serial (3) and holds the newest"
