#!/usr/bin/env bash
# dist/road.service is hardened (its own user, a private state directory, no capability,
# a read-only system, a system call filter) and valid: systemd-analyze verify accepts it
# with ExecStart pointing at the built road, its offline security exposure is at most 2.0,
# road knows the flags ExecStart passes, and systemd-sysusers creates the user of
# dist/road.sysusers. Without systemd-analyze only the keys are checked.
. "$(dirname "$0")/lib.sh"
unit=dist/road.service
[ -f "$unit" ] || fail "no $unit"
[ -f dist/road.sysusers ] || fail "no dist/road.sysusers"

# key=value lines of the unit, as systemd reads them (comments dropped).
has() { grep -qxF -- "$1" <(grep -vE '^[#;]' "$unit") || fail "$unit lacks the line $1"; }
for kv in User=road Group=road StateDirectory=road StateDirectoryMode=0700 UMask=0077 \
  ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
  CapabilityBoundingSet= AmbientCapabilities= RestrictSUIDSGID=yes RestrictNamespaces=yes \
  MemoryDenyWriteExecute=yes LockPersonality=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
  ProtectControlGroups=yes SystemCallArchitectures=native SystemCallFilter=@system-service \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' WantedBy=multi-user.target; do
  has "$kv"
done
exec_line=$(grep -E '^ExecStart=' "$unit") || fail "$unit has no ExecStart"
[ "$(grep -cE '^ExecStart=' "$unit")" = 1 ] || fail "$unit has more than one ExecStart"
read -r -a argv <<<"${exec_line#ExecStart=}"
[ "${argv[0]}" = /usr/local/bin/road ] && [ "${argv[1]}" = serve ] || fail "ExecStart is not /usr/local/bin/road serve: $exec_line"
help=$("$ROAD" serve --help 2>&1) || fail "road serve --help exits non-zero"
for a in "${argv[@]:2}"; do
  case $a in --*) grep -qE -- "^ *$a( |$)" <<<"$help" || fail "ExecStart passes $a, which road serve --help does not list" ;; esac
done
ok "$unit has the hardening keys and an ExecStart road understands"

if ! command -v systemd-analyze >/dev/null; then
  echo "skip: no systemd-analyze (install systemd to verify the unit)"; exit 0
fi
t=$BB_TMP/unit; mkdir -p "$t"
sed "s#^ExecStart=/usr/local/bin/road #ExecStart=$ROAD #" "$unit" >"$t/road.service"
systemd-analyze verify "$t/road.service" >"$t/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$t/verify.log")"
[ -s "$t/verify.log" ] && fail "systemd-analyze verify warns: $(cat "$t/verify.log")"
score=$(systemd-analyze security --offline=true "$t/road.service" 2>/dev/null | sed -n 's/.*Overall exposure level for road.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze security printed no exposure level"
awk -v s="$score" 'BEGIN{exit !(s <= 2.0)}' || fail "exposure level $score > 2.0"
ok "systemd-analyze verify accepts the unit; offline exposure level $score"

mkdir -p "$t/root/etc"
systemd-sysusers --root="$t/root" - <dist/road.sysusers >/dev/null 2>&1 || fail "systemd-sysusers rejects dist/road.sysusers"
grep -qE '^road:x:[0-9]+:[0-9]+:[^:]*:/var/lib/road:/usr/sbin/nologin$' "$t/root/etc/passwd" \
  || fail "dist/road.sysusers did not create road with home /var/lib/road: $(cat "$t/root/etc/passwd")"
ok "systemd-sysusers creates the road user from dist/road.sysusers"
