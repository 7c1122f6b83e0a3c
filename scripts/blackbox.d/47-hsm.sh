#!/usr/bin/env bash
# Keys in an HSM: with [hsm] road makes its TA and CA keys in a PKCS#11 token
# (softhsm2 here), road.db keeps only their handles, a restart finds them again,
# and road refuses to start on a loose PIN file or without [hsm] once its keys
# are in the token.
. "$(dirname "$0")/lib.sh"
if ! command -v softhsm2-util >/dev/null; then
  [ "${CI:-}" = true ] && fail "softhsm2-util missing (CI=true; run scripts/install-test-deps.sh)"
  echo "skip: softhsm2-util missing"; exit 0
fi
MODULE=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -f "$m" ] && { MODULE=$m; break; }
done
[ -n "$MODULE" ] || fail "softhsm2-util without libsofthsm2.so"

H=$BB_TMP/hsm
mkdir -p "$H/tokens" && chmod 700 "$H"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$H/tokens" >"$H/softhsm2.conf"
export SOFTHSM2_CONF=$H/softhsm2.conf
softhsm2-util --init-token --free --label road-bb --pin 4321 --so-pin 8765 >/dev/null
echo 4321 >"$H/pin"
chmod 644 "$H/pin"
HSM=(--hsm-module "$MODULE" --hsm-token-label road-bb --hsm-pin-file "$H/pin")

D=$BB_TMP/hsm-data
rc=0
timeout 60 "$ROAD" serve --data-dir "$D" --http 127.0.0.1:$(freeport) --https "" --rtr "" "${HSM[@]}" >"$D.refused" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "road with a 0644 PIN file exited $rc, want 1: $(tail -3 "$D.refused")"
grep -qF "fix: chmod 600 $H/pin" "$D.refused" && grep -qF signer-bad-hsm-config "$D.refused" ||
  fail "the refusal does not name the fix: $(cat "$D.refused")"
ok "a 0644 PIN file is refused (exit 1, chmod 600, signer-bad-hsm-config)"

chmod 600 "$H/pin"
start_road "$D" "${HSM[@]}"
"$ROACTL" roa add "192.0.2.0/24 => AS64496" >/dev/null || fail "roa add failed"
keys=$(sqlite3 -readonly "$D/road.db" "SELECT name || ' ' || substr(CAST(key_der AS TEXT), 1, 10) FROM cas ORDER BY name")
[ "$keys" = $'ca pkcs11:id=\nta pkcs11:id=' ] || fail "road.db keeps other than token handles: $keys"
n=$(softhsm2-util --show-slots 2>/dev/null | grep -c "Label:.*road-bb" || true)
[ "$n" -ge 1 ] || fail "token road-bb not found"
ok "the TA and CA keys are in the token; road.db keeps pkcs11:id= handles"
kill "$ROAD_PID"; wait "$ROAD_PID" || true

start_road "$D" "${HSM[@]}"
out=$("$ROACTL" roa list) || fail "roa list after restart"
grep -q "^192.0.2.0/24 => AS64496 *published" <<<"$out" || fail "ROA not published after restart: $out"
kill "$ROAD_PID"; wait "$ROAD_PID" || true
ok "a restart loads the keys from the token by handle"

rc=0
timeout 60 "$ROAD" serve --data-dir "$D" --http 127.0.0.1:$(freeport) --https "" --rtr "" >"$D.nohsm" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -qF "configure [hsm]" "$D.nohsm" && grep -qF signer-hsm-not-configured "$D.nohsm" ||
  fail "road without [hsm] on token keys exited $rc: $(tail -3 "$D.nohsm")"
ok "without [hsm] road refuses keys that live in the token (exit 1, signer-hsm-not-configured)"
