#!/usr/bin/env bash
# File modes: road's database and keys are 0600 whatever the data directory's
# mode and the umask; a directory others may write, a loose admin.token and a
# world-readable operator key are refused with the fix in the message.
. "$(dirname "$0")/lib.sh"
umask 000 # road must not rely on the umask

mode() { stat -c %a "$1"; }

# refused DIR WANT [flags...]: road serve on DIR exits non-zero by itself and
# its output contains WANT (timeout only guards against a road that serves).
refused() {
  local dir=$1 want=$2 rc=0; shift 2
  timeout 60 "$ROAD" serve --data-dir "$dir" --http 127.0.0.1:$(freeport) --https "" \
    --rtr 127.0.0.1:$(freeport) "$@" >"$dir.refused" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "road serve on $dir exited $rc, want a refusal: $(tail -3 "$dir.refused")"
  grep -qF -- "$want" "$dir.refused" || fail "refusal for $dir does not say '$want': $(cat "$dir.refused")"
}

# A data directory a packager pre-created 0755.
PRE=$BB_TMP/pre
mkdir "$PRE" && chmod 755 "$PRE"
start_road "$PRE"
for f in road.db road.db-wal road.db-shm admin.token tls/server.key tls/ca.key; do
  [ -e "$PRE/$f" ] || fail "$PRE/$f missing"
  [ "$(mode "$PRE/$f")" = 600 ] || fail "$PRE/$f has mode $(mode "$PRE/$f"), want 600"
done
n=$(ls "$PRE"/tls/*key* | wc -l)
[ "$n" -ge 2 ] || fail "expected the testbed TLS keys in $PRE/tls, found $n"
for f in "$PRE"/tls/*key*; do [ "$(mode "$f")" = 600 ] || fail "$f has mode $(mode "$f")"; done
grep -q 'level=WARN msg="data directory is readable by other users.*mode=0755 fix="chmod 700 '"$PRE"'"' "$PRE.log" ||
  fail "no warning naming the 0755 data directory: $(grep -i warn "$PRE.log")"
ok "a 0755 data directory under umask 000 gets 0600 road.db, -wal, -shm, admin.token and tls keys, with a warning"
kill "$ROAD_PID"; wait "$ROAD_PID" || true

# Database files an older version left 0644 are made 0600 at the next start.
chmod 644 "$PRE"/road.db*
start_road "$PRE"
for f in road.db road.db-wal road.db-shm; do
  [ "$(mode "$PRE/$f")" = 600 ] || fail "$PRE/$f left at mode $(mode "$PRE/$f") after a restart"
done
ok "0644 database files from an older version are made 0600"
kill "$ROAD_PID"; wait "$ROAD_PID" || true

# A directory every user may write is refused, naming its mode and the fix.
W=$BB_TMP/world
mkdir "$W" && chmod 777 "$W"
refused "$W" "data directory $W has mode 0777"
grep -qF "fix: chmod 700 $W" "$W.refused" || fail "the refusal does not name the fix: $(cat "$W.refused")"
[ ! -e "$W/road.db" ] && [ ! -e "$W/admin.token" ] || fail "road created files in the refused directory $W"
ok "a 0777 data directory is refused: $(grep -o 'has mode 0777[^;]*' "$W.refused" | head -1)"
G=$BB_TMP/groupw
mkdir "$G" && chmod 770 "$G"
refused "$G" "data directory $G has mode 0770"
ok "a 0770 data directory is refused"

# A loose admin.token is refused with the fix.
T=$BB_TMP/token
mkdir "$T" && chmod 700 "$T"
echo secret-token-value >"$T/admin.token" && chmod 644 "$T/admin.token"
refused "$T" "$T/admin.token has mode 0644"
grep -qF "fix: chmod 600 $T/admin.token" "$T.refused" || fail "no fix named: $(cat "$T.refused")"
ok "a 0644 admin.token is refused naming chmod 600"

# Operator key files: world-readable is refused, 0640 (a key group) accepted.
K=$BB_TMP/keys
mkdir "$K" && chmod 700 "$K"
cp "$PRE/tls/server.pem" "$K/cert.pem" && cp "$PRE/tls/server.key" "$K/key.pem" && chmod 644 "$K/key.pem"
D=$BB_TMP/opkey
mkdir "$D" && chmod 700 "$D"
refused "$D" "private key $K/key.pem has mode 0644" --https 127.0.0.1:$(freeport) --tls-cert "$K/cert.pem" --tls-key "$K/key.pem"
refused "$D" "private key $K/key.pem has mode 0644" --rtr-tls-cert "$K/cert.pem" --rtr-tls-key "$K/key.pem"
chmod 640 "$K/key.pem"
start_road "$D" --rtr-tls-cert "$K/cert.pem" --rtr-tls-key "$K/key.pem"
ok "a world-readable --tls-key / --rtr-tls-key is refused, a 0640 one accepted"
