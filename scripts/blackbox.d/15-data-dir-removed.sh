#!/usr/bin/env bash
# A daemon whose data directory is removed from under it stops with an error naming the
# database, instead of accepting changes into an unlinked file that vanish at exit (and
# instead of holding its ports for ever after a careless clean-up).
. "$(dirname "$0")/lib.sh"
d=$BB_TMP/gone; mkdir -m 700 "$d"
start_road "$d"
# road may be writing into it (its relying party's cache): remove until it is gone
for i in $(seq 1 50); do rm -rf "$d" 2>/dev/null; [ -e "$d" ] || break; done
[ ! -e "$d" ] || fail "could not remove $d"
for i in $(seq 1 300); do kill -0 "$ROAD_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ROAD_PID" 2>/dev/null && fail "road still runs 30 s after its data directory was removed"
rc=0; wait "$ROAD_PID" || rc=$?
[ "$rc" != 0 ] || fail "road exited 0 after its data directory was removed"
grep -q 'database-gone' "$d.log" || fail "road's last words do not name the gone database: $(cat "$d.log")"
ok "road stopped (exit $rc) when its data directory was removed: $(grep -o 'database-gone[^"]*' "$d.log" | head -1)"
