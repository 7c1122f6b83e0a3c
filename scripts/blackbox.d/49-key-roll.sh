#!/usr/bin/env bash
# The built roactl and road through a CA key roll (RFC 6489) in the testbed and
# an identity roll (RFC 8183): phases in roactl status and -o json, a second roll
# refused while one runs, activation, the roll finished by the renewal pass,
# history, and the identity's new requests.
. "$(dirname "$0")/lib.sh"
d=$BB_TMP/keyroll; mkdir -p "$d"
start_road "$d/data" --rtr ""

"$ROACTL" ca roll >"$d/roll" 2>&1 || fail "roactl ca roll: $(cat "$d/roll")"
grep -q $'^key roll\tpending, new key [0-9A-F]\{40\}, old key [0-9A-F]\{40\}, started .* by admin, activated at ' "$d/roll" \
  || fail "roactl ca roll printed: $(cat "$d/roll")"
"$ROACTL" status >"$d/status" || fail "roactl status failed"
grep -q $'^key roll  *pending, ' "$d/status" || fail "roactl status shows no pending roll: $(grep -i roll "$d/status")"
phase=$("$ROACTL" status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ca"]["key_roll"]["phase"])')
[ "$phase" = pending ] || fail "status -o json ca.key_roll.phase is $phase"
set +e; "$ROACTL" ca roll >"$d/again" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'key-roll-in-progress' "$d/again" || fail "a second roll: exit $rc: $(cat "$d/again")"
ok "ca roll: pending in status (text and JSON); a second roll is refused"

"$ROACTL" ca roll --activate -o json >"$d/act" || fail "roactl ca roll --activate: $(cat "$d/act")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["roll"]; assert r["phase"]=="active", r' "$d/act" \
  || fail "ca roll --activate answered $(cat "$d/act")"
# The renewal pass (every 10 s) has the testbed TA revoke the old CA certificate.
for _ in $(seq 1 300); do
  "$ROACTL" status -o json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["ca"]["key_roll"]["phase"]!="done")' && break
  sleep 0.1
done
"$ROACTL" status | grep -q $'^key roll  *done, ' || fail "the roll did not finish: $("$ROACTL" status | grep -i roll)"
got=$("$ROACTL" history -o json | python3 -c '
import json,sys
h=json.load(sys.stdin)["entries"]
print(" ".join(e["action"] for e in reversed(h) if e["action"].startswith("key-roll-")))')
[ "$got" = "key-roll-requested key-roll-pending key-roll-active key-roll-done" ] || fail "history: $got"
ok "ca roll --activate, then done by the renewal pass; history has the four phases"

"$ROACTL" identity roll >"$d/id" 2>&1 || fail "roactl identity roll: $(cat "$d/id")"
grep -q '<child_request' "$d/id" && grep -q '<publisher_request' "$d/id" || fail "identity roll printed: $(head -3 "$d/id")"
norm() { tr -d ' \n'; }
rolled=$(sed -n '/<child_request/,/<\/child_request>/p' "$d/id" | norm)
[ "$("$ROACTL" parent request | norm)" != "$rolled" ] || fail "parent request already carries the new identity before identity activate"
"$ROACTL" identity activate >"$d/act-id" || fail "roactl identity activate: $(cat "$d/act-id")"
[ "$(cat "$d/act-id")" = "the new identity is active" ] || fail "identity activate printed: $(cat "$d/act-id")"
[ "$("$ROACTL" parent request | norm)" = "$rolled" ] || fail "after identity activate, parent request is not the rolled child_request"
set +e; "$ROACTL" identity activate >"$d/again2" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "identity activate without a new identity: exit $rc: $(cat "$d/again2")"
ok "identity roll prints the new requests; identity activate makes them road's"
