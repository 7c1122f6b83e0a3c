#!/usr/bin/env bash
# roactl's small contracts: the check commands exit 5 when they find a problem (audit run with
# warn/error findings; rp status polled to 0 once the RP validated), a ROA written twice in one
# proposal is one ROA and one signed object, a note's terminal escapes come back escaped, and
# road serve (flags and TOML) and road rtr take one duration syntax.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/cli
cfg=$BB_TMP/cli.toml
# Integers as seconds and Go durations, in the file and on the command line; every published
# object expires within 100000h, so the expiry audit finds problems.
printf '[alerts]\nexpiry_warning = "100000h"\n[rtr]\nrefresh = 900\nretry = "5m"\n' >"$cfg"
start_road "$D" --config "$cfg" --rtr-expire 2h
ok "road serve took refresh = 900, retry = \"5m\" and --rtr-expire 2h"

rc=0; "$ROACTL" audit run bgp >"$BB_TMP/bgp.out" 2>"$BB_TMP/bgp.err" || rc=$?
[ "$rc" = 0 ] && [ ! -s "$BB_TMP/bgp.err" ] || fail "audit run bgp without ROAs: exit $rc, stderr $(cat "$BB_TMP/bgp.err")"
ok "audit run bgp with nothing to find: exit 0"
rc=1
for i in $(seq 1 600); do rc=0; "$ROACTL" rp status >/dev/null 2>&1 || rc=$?; [ "$rc" = 0 ] && break; sleep 0.1; done
[ "$rc" = 0 ] || fail "rp status never exited 0: exit $rc, $("$ROACTL" rp status 2>&1 | tail -2)"
ok "rp status: exit 0 once the relying party validated the publication"

out=$("$ROACTL" roa add "192.0.2.0/24 => AS64496" "192.0.2.0/24-24 => 64496") || fail "roa add twice: $out"
[ "$(printf '%s\n' "$out" | tail -1)" = "result: applied, added 1 and removed 0 ROA(s), RRDP serial 2, change 1" ] ||
  fail "roa add of one ROA in two spellings: $out"
n=$(find "$D/rsync/current" -name '*.roa' | wc -l)
[ "$n" = 1 ] || fail "$n ROA objects published for one ROA written twice"
ok "one ROA written twice: added 1, one .roa published"

rc=0; "$ROACTL" audit run expiry >"$BB_TMP/exp.out" 2>"$BB_TMP/exp.err" || rc=$?
[ "$rc" = 5 ] || fail "audit run expiry with expiring objects: exit $rc, want 5"
grep -Eq '^roactl: the expiry audit found [0-9]+ problem\(s\)$' "$BB_TMP/exp.err" || fail "stderr: $(cat "$BB_TMP/exp.err")"
grep -q '^expiring ' "$BB_TMP/exp.out" || fail "the findings were not printed: $(cat "$BB_TMP/exp.out")"
rc=0; "$ROACTL" -o json audit run expiry >"$BB_TMP/exp.json" 2>/dev/null || rc=$?
[ "$rc" = 5 ] || fail "audit run expiry -o json: exit $rc, want 5"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["kind"] == "expiry" and d["finding_count"] > 0' "$BB_TMP/exp.json" ||
  fail "audit run -o json is not the audit's JSON"
ok "audit run expiry with findings: exit 5 (table and JSON), $(cat "$BB_TMP/exp.err")"

"$ROACTL" intent add 192.0.2.0/24 AS64496 --note "$(printf 'x\033[31mred\033]0;t\007')" >/dev/null || fail "intent add"
"$ROACTL" intent list >"$BB_TMP/intents" || fail "intent list"
! grep -q "$(printf '\033')" "$BB_TMP/intents" || fail "an escape character reached the terminal"
grep -qF 'x\x1b[31mred\x1b]0;t\x07' "$BB_TMP/intents" || fail "note not shown escaped: $(cat -v "$BB_TMP/intents")"
"$ROACTL" intent add 192.0.2.0/24 64496 >/dev/null || fail "intent add again"
[ "$("$ROACTL" -o json intent list | python3 -c 'import json,sys; print(json.load(sys.stdin)["intents"][0]["note"] == "x\033[31mred\033]0;t\007")')" = True ] ||
  fail "the note changed: intent add again without --note must keep it (and -o json is exact)"
ok "a note's escapes are shown escaped; intent add again keeps the note"

for args in "rtr --vrps $BB_TMP/none.json --refresh 1.5s" "rtr --vrps $BB_TMP/none.json --retry 3h" "serve --data-dir $BB_TMP/x --rtr-refresh 1.5s"; do
  rc=0; timeout 30 "$ROAD" $args >/dev/null 2>&1 || rc=$?  # accepted, it would serve: timeout
  [ "$rc" = 2 ] || fail "road $args: exit $rc, want 2"
done
ok "road rtr and road serve refuse RTR timers that are not whole seconds in RFC 8210 ranges (exit 2)"
