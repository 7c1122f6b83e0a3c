#!/usr/bin/env bash
# Publication guard (issue 12): road started on a populated repository with
# its database gone (storage loss) starts but does not publish the empty
# state: the RRDP notification stays byte-identical, /readyz is 503 naming
# publication-refused and publish-state-mismatch, roactl roa add fails;
# roactl publish override --reason reconciles (recorded in the history).
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/gate
start_road "$D"
"$ROACTL" roa add "192.0.2.0/24 => AS64496" "198.51.100.0/24 => AS64497" >/dev/null || fail "roa add"
kill "$ROAD_PID"; wait "$ROAD_PID" 2>/dev/null || true
rm -f "$D/road.db" "$D/road.db-wal" "$D/road.db-shm"
before=$(sha256sum "$D/rrdp/notification.xml")

start_road "$D"
body=""
for i in $(seq 1 300); do
  body=$(curl -s "http://$HTTP/readyz" || true)
  printf '%s' "$body" | grep -q '"reason":"publication-refused"' && break
  sleep 0.1
done
printf '%s' "$body" | python3 -c '
import json, sys
r = json.load(sys.stdin)
c = [c for c in r["checks"] if c["part"] == "publication"][0]
assert r["status"] == "not-ready" and c["reason"] == "publication-refused", r
assert "publish-state-mismatch" in c["message"] and "the database records no publication" in c["message"], c
' || fail "/readyz does not name the publication block: $body"
[ "$(sha256sum "$D/rrdp/notification.xml")" = "$before" ] || fail "the notification changed"
ok "an empty database beside a populated repository: nothing published, /readyz 503 publication-refused (publish-state-mismatch)"

set +e
out=$("$ROACTL" roa add "203.0.113.0/24 => AS64498" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && printf '%s' "$out" | grep -q "publish-state-mismatch" || fail "roa add while blocked: exit $rc: $out"
[ "$(sha256sum "$D/rrdp/notification.xml")" = "$before" ] || fail "the notification changed"
ok "a change while blocked fails (exit 2) naming publish-state-mismatch; the notification is unchanged"

out=$("$ROACTL" publish override --reason "database lost, starting over") || fail "publish override: $out"
[ "$out" = "override recorded (database lost, starting over); published" ] || fail "publish override said: $out"
[ "$(sha256sum "$D/rrdp/notification.xml")" != "$before" ] || fail "nothing published after the override"
"$ROACTL" -o json history | grep -q '"publish-override"' || fail "no publish-override in the history"
ok "roactl publish override --reason: recorded in the history, the database's state published"
