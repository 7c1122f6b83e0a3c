#!/usr/bin/env bash
# scripts/install-test-deps.sh leaves the host as it found it: run twice with nothing
# missing, /usr/sbin/policy-rc.d (present or not, content, mode, times) and the enabled
# systemd units are unchanged. Then the install path: with bc removed and a custom
# policy-rc.d in place, a failing apt-get and a real reinstall each put the custom file
# back byte for byte (ours is in force while apt-get runs); a new package with a unit is
# installed with the unit disabled and never started. The host's own policy file, bc and
# its apt mark are restored and the new package purged at the end, also on failure.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  [ "${CI:-}" = true ] && fail "needs root (CI=true)"
  echo "skip: needs root (the install script installs Debian packages)"; exit 0
fi
script=$PWD/scripts/install-test-deps.sh
policy=/usr/sbin/policy-rc.d

# state: the policy file as ls and sha256 see it, any leftover, and the enabled units.
state() {
  if [ -e "$policy" ] || [ -L "$policy" ]; then
    stat -c 'policy %A %U:%G %s %y' "$policy"; sha256sum <"$policy"
  else echo "policy absent"; fi
  ls -d "$policy".road-* 2>/dev/null | sed 's/^/leftover /' || true
  find /etc/systemd/system -type l -printf 'link %p -> %l\n' 2>/dev/null | sort
  if [ -d /run/systemd/system ]; then systemctl list-unit-files --state=enabled --no-legend | sort; fi
}

# 1. nothing missing: twice, nothing changes.
state >"$BB_TMP/s0"
for run in 1 2; do
  bash "$script" >"$BB_TMP/run$run.log" 2>&1 || fail "run $run exited non-zero: $(tail -3 "$BB_TMP/run$run.log")"
  state >"$BB_TMP/s$run"
  diff "$BB_TMP/s0" "$BB_TMP/s$run" >&2 || fail "run $run changed the host (diff above)"
done
grep -q '^installing:' "$BB_TMP/run2.log" && fail "the second run installed something: $(head -1 "$BB_TMP/run2.log")"
ok "two runs with nothing missing leave policy-rc.d and the enabled units as they were"

# 2. the install path, with a custom policy file the script must give back.
[ "$(dpkg-query -W -f '${db:Status-Abbrev}' bc)" = "ii " ] || fail "bc is not installed: run the install script first"
bcver=$(dpkg-query -W -f '${Version}' bc)
bcmark=auto; apt-mark showmanual bc | grep -qx bc && bcmark=manual
mkdir -p "$BB_TMP/deb" "$BB_TMP/orig" "$BB_TMP/shim"
# A copy of bc to reinstall from if the network fails midway.
(cd "$BB_TMP/deb" && apt-get download "bc=$bcver" >/dev/null 2>&1) || fail "apt-get download bc=$bcver failed"
had_policy=no purge_uptimed=no
restore_host() {
  if [ "$(dpkg-query -W -f '${db:Status-Abbrev}' bc 2>/dev/null)" != "ii " ]; then dpkg -i "$BB_TMP"/deb/bc_*.deb >/dev/null; fi
  apt-mark "$bcmark" bc >/dev/null
  rm -f "$policy"
  if [ $had_policy = yes ]; then mv "$BB_TMP/orig/policy-rc.d" "$policy"; fi
  if [ $purge_uptimed = yes ] && dpkg-query -W uptimed >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq uptimed >/dev/null
  fi
}
trap 'restore_host; bb_cleanup' EXIT
if [ -e "$policy" ] || [ -L "$policy" ]; then had_policy=yes; mv "$policy" "$BB_TMP/orig/policy-rc.d"; fi
printf '#!/bin/sh\n# blackbox 50: the host'"'"'s own policy\nexit 0\n' >"$policy"
chmod 750 "$policy"; touch -d '2001-02-03 04:05:06' "$policy"
custom=$(state)
dpkg -r bc >/dev/null 2>&1 || fail "dpkg -r bc failed"

# 2a. apt-get fails: the script fails and the custom file is back.
printf '#!/bin/sh\ncat %s >%s\nexit 100\n' "$policy" "$BB_TMP/seen" >"$BB_TMP/shim/apt-get"; chmod 755 "$BB_TMP/shim/apt-get"
PATH=$BB_TMP/shim:$PATH bash "$script" >"$BB_TMP/fail.log" 2>&1 && fail "the script exited 0 although apt-get failed"
grep -q '^exit 101$' "$BB_TMP/seen" || fail "apt-get ran without the script's policy-rc.d in force: $(cat "$BB_TMP/seen")"
[ "$(state)" = "$custom" ] || fail "after a failed apt-get the custom policy-rc.d is not back as it was: $(state | head -3)"
ok "a failing apt-get runs under exit 101 and leaves the custom policy-rc.d byte for byte"

# 2b. a real reinstall of bc.
bash "$script" >"$BB_TMP/install.log" 2>&1 || fail "the install run failed: $(tail -3 "$BB_TMP/install.log")"
grep -qx 'installing: bc' "$BB_TMP/install.log" || fail "the script did not install bc: $(head -3 "$BB_TMP/install.log")"
[ "$(dpkg-query -W -f '${db:Status-Abbrev} ${Version}' bc)" = "ii  $bcver" ] || fail "bc $bcver is not installed again"
[ "$(state)" = "$custom" ] || fail "after installing, the custom policy-rc.d or the enabled units changed: $(state | head -3)"
grep -q '^disabling' "$BB_TMP/install.log" && fail "bc ships no unit, yet the script disabled some: $(grep '^disabling' "$BB_TMP/install.log")"
ok "reinstalling bc leaves the custom policy-rc.d (content, mode, times) and the enabled units as they were"

# 2c. a new package with a unit (uptimed, a small daemon, through the script's extra-package
# variable): installed, never started, and its unit disabled so it does not start at boot.
if [ "$(dpkg-query -W -f '${db:Status-Abbrev}' uptimed 2>/dev/null)" = "ii " ]; then
  echo "skip: uptimed is installed on this host; the unit case needs a package that is not"
else
  purge_uptimed=yes
  INSTALL_TEST_DEPS_EXTRA=uptimed bash "$script" >"$BB_TMP/unit.log" 2>&1 || fail "installing uptimed failed: $(tail -3 "$BB_TMP/unit.log")"
  grep -qx 'installing: uptimed' "$BB_TMP/unit.log" || fail "the script did not install uptimed: $(head -3 "$BB_TMP/unit.log")"
  grep -qx 'disabling the units of the new packages: uptimed.service' "$BB_TMP/unit.log" \
    || fail "the script did not disable uptimed.service: $(cat "$BB_TMP/unit.log")"
  [ -z "$(find /etc/systemd/system -name uptimed.service)" ] || fail "uptimed.service is still enabled"
  pgrep -x uptimed >/dev/null && fail "uptimed was started by its installation"
  [ "$(state)" = "$custom" ] || fail "after installing uptimed, policy-rc.d or the enabled units changed: $(state | head -3)"
  ok "a new package's unit (uptimed.service) is installed disabled and never started; policy-rc.d as it was"
fi

trap bb_cleanup EXIT
restore_host
state >"$BB_TMP/s3"
diff "$BB_TMP/s0" "$BB_TMP/s3" >&2 || fail "the host's own state is not restored (diff above)"
ok "the host's policy-rc.d, bc and its apt mark are as before"
