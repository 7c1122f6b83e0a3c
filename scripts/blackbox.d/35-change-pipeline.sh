#!/usr/bin/env bash
# The change pipeline through roactl: a flagged token's change and, under
# [approval] force, a forced one wait pending (exit 4, change ID printed);
# the proposer cannot approve (exit 3), another token can; change list and
# show (text and JSON) have both actors and the timeline; revert --last 2
# undoes two changes in one command; unknown and applied IDs exit 2.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/changes
mkdir -p "$D.conf"
printf '[approval]\nforce = true\nexpiry = "1h"\n' >"$D.conf/road.toml"
start_road "$D" --config "$D.conf/road.toml"
secret() { "$ROACTL" token add "$1" --role "$2" | tail -1; }
alice=$(secret alice approver); bob=$(secret bob approver)
roas() { "$ROACTL" roa list -o json | jq -r '[.roas[] | .prefix + "-" + (.max_length|tostring) + " " + (.asn|tostring)] | join(",")'; }

out=$(ROAD_TOKEN=$alice "$ROACTL" roa add "192.0.2.0/24 => AS64496") || fail "alice's plain add: $out"
[ "$(printf '%s\n' "$out" | tail -1)" = "result: applied, added 1 and removed 0 ROA(s), RRDP serial 2, change 1" ] ||
  fail "a change needing no approval: $out"
rc=0; out=$(ROAD_TOKEN=$alice "$ROACTL" roa add "198.51.100.0/24 => AS64497" --force --reason "DDoS" 2>/dev/null) || rc=$?
[ "$rc" = 4 ] || fail "a forced add under [approval] force exited $rc: $out"
printf '%s\n' "$out" | grep -qx 'result: pending approval as change 2 (needs a second token: forced); nothing changed yet' ||
  fail "the pending result does not name change 2: $out"
[ "$(roas)" = "192.0.2.0/24-24 64496" ] || fail "a pending change was applied: $(roas)"
rc=0; err=$(ROAD_TOKEN=$alice "$ROACTL" change approve 2 2>&1) || rc=$?
[ "$rc" = 3 ] && printf '%s' "$err" | grep -q "token alice proposed change 2 and cannot approve it" ||
  fail "self-approval: exit $rc, $err"
ok "alice's forced change is pending (exit 4, change 2); her own approval exits 3"

"$ROACTL" token flag bob >/dev/null || fail "token flag bob"
rc=0; out=$(ROAD_TOKEN=$bob "$ROACTL" roa add "203.0.113.0/24 => AS64498" 2>/dev/null) || rc=$?
[ "$rc" = 4 ] && printf '%s\n' "$out" | grep -q "change 3 (needs a second token: flagged-token)" ||
  fail "a flagged token's change: exit $rc, $out"
"$ROACTL" token list | grep -qE '^bob +approver \(flagged\) ' || fail "token list does not show bob flagged: $("$ROACTL" token list)"
ROAD_TOKEN=$alice "$ROACTL" change reject 3 --reason "not today" >/dev/null || fail "alice could not reject bob's change 3"
ok "a flagged token's change waits (flagged-token) and can be rejected"

out=$(ROAD_TOKEN=$bob "$ROACTL" change approve 2) || fail "bob's approval: $out"
[ "$(roas)" = "192.0.2.0/24-24 64496,198.51.100.0/24-24 64497" ] || fail "after approval: $(roas)"
list=$("$ROACTL" change list)
printf '%s\n' "$list" | grep -qE '^2 +applied +[0-9TZ:-]+ +alice +bob +\+198\.51\.100\.0/24 => AS64497$' || fail "change list: $list"
printf '%s\n' "$list" | grep -qE '^3 +rejected +[0-9TZ:-]+ +bob +alice ' || fail "change list (rejected): $list"
j=$("$ROACTL" change show 2 -o json)
[ "$(printf '%s' "$j" | jq -r '[.state, .proposer, .approver, (.approval|join(",")), ([.timeline[].stage][0:4]|join(","))] | join(" ")')" = \
  "applied alice bob forced proposed,approved,signed,published" ] || fail "change show -o json: $j"
show=$("$ROACTL" change show 2)
printf '%s\n' "$show" | grep -qE '^approved +[0-9TZ:-]+ +bob +-$' || fail "change show timeline: $show"
h=$("$ROACTL" history -o json)
[ "$(printf '%s' "$h" | jq -r '[.entries[] | select(.change_id == 2)][0] | .actor + "/" + .approver')" = alice/bob ] ||
  fail "history does not record both actors of change 2: $h"
ok "bob approved change 2: list, show (text and JSON) and history name alice and bob"

rc=0; ROAD_TOKEN=$bob "$ROACTL" change approve 2 >/dev/null 2>&1 || rc=$?; [ "$rc" = 2 ] || fail "approving an applied change exited $rc"
rc=0; "$ROACTL" change approve 99 >/dev/null 2>&1 || rc=$?; [ "$rc" = 2 ] || fail "approving an unknown change exited $rc"
rc=0; "$ROACTL" change revert 99 >/dev/null 2>&1 || rc=$?; [ "$rc" = 2 ] || fail "reverting an unknown change exited $rc"
out=$(ROAD_TOKEN=$alice "$ROACTL" change revert --last 2) || fail "revert --last 2: $out"
[ "$(roas)" = "" ] || fail "after revert --last 2: $(roas)"
[ "$("$ROACTL" change list -o json | jq -r '[.changes[] | .state] | join(",")')" = "applied,rejected,reverted,reverted" ] ||
  fail "states after the revert: $("$ROACTL" change list)"
ok "applied and unknown IDs exit 2; revert --last 2 undid changes 1 and 2 as change 4"
