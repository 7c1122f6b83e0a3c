#!/usr/bin/env bash
# Installs the Debian packages the tests drive (real peers, not mocks) when any is
# missing. Needs root (apt-get) only then. Run by `make test`; safe to run again.
#
# It leaves the host as it found it, apart from the packages it adds:
# - no service of a package it installs starts: /usr/sbin/policy-rc.d answers 101 while
#   apt-get runs, then the file that was there before (or none) is put back, also when
#   apt-get fails or the script is interrupted;
# - every systemd unit of the packages this run installed (dependencies included) is
#   disabled, so none of them runs after a reboot either;
# - units of packages that were already installed are never touched (on an operator's
#   validator host rpki-client.timer or fort.service are production), and when nothing
#   is missing it calls neither apt-get nor systemctl.
set -euo pipefail
pkgs=(rpki-client fort-validator stayrtr rtr-tools bird2 gobgpd exabgp rsync openssl bc sqlite3 iproute2 curl python3 gcc libxml2-utils softhsm2)
# More packages for this run only (space-separated): scripts/blackbox.d/50 installs a small
# daemon this way to see that its unit ends up disabled.
read -r -a extra <<<"${INSTALL_TEST_DEPS_EXTRA:-}"
pkgs+=("${extra[@]}")
policy=/usr/sbin/policy-rc.d
saved=/usr/sbin/policy-rc.d.road-saved # the host's own policy file while ours is in place
ours=$'#!/bin/sh\n# written by road scripts/install-test-deps.sh while apt-get runs; removed after it\nexit 101\n'

missing_pkgs() {
  local p
  missing=()
  for p in "${pkgs[@]}"; do
    # "ii": installed; a package removed with its conffiles kept ("rc") is missing too.
    [ "$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
  done
}

# restore_policy puts back what was there before this run: the saved file, or nothing.
restore_policy() {
  if [ -e "$saved" ] || [ -L "$saved" ]; then
    mv -f "$saved" "$policy"
  elif [ -f "$policy" ] && [ "$(cat "$policy"; echo x)" = "${ours}x" ]; then
    rm -f "$policy"
  fi
}

# own_policy moves the host's policy file (if any) aside, keeping it byte for byte
# (mv keeps its inode, mode and times), and puts ours in place.
own_policy() {
  if [ -e "$policy" ] || [ -L "$policy" ]; then mv "$policy" "$saved"; fi
  printf '%s' "$ours" >"$policy.road-new"
  chmod 755 "$policy.road-new"
  mv -f "$policy.road-new" "$policy"
}

# service_units lists the systemd units the packages ship (not templates: they have no
# instance to disable).
service_units() {
  local p
  for p in "$@"; do dpkg -L "$p" 2>/dev/null; done \
    | grep -E '^(/usr)?/lib/systemd/system/[^/@]+\.(service|socket|timer|path)$' \
    | xargs -r -n1 basename | sort -u
}

install_missing() {
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  # One installer at a time: a second run would save our policy file as the host's.
  mkdir -p /run/lock && exec 9>/run/lock/road-install-test-deps.lock
  flock 9
  restore_policy # a run killed with SIGKILL may have left its policy file in place
  missing_pkgs
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "installing: ${missing[*]}"
  local before after new units
  before=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1=="ii"{print $2}' | sort)
  trap restore_policy EXIT
  trap 'exit 130' INT TERM HUP
  own_policy
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "${missing[@]}"
  restore_policy
  trap - EXIT INT TERM HUP
  after=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1=="ii"{print $2}' | sort)
  mapfile -t new < <(comm -13 <(echo "$before") <(echo "$after"))
  mapfile -t units < <(service_units "${new[@]}")
  if [ ${#units[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
    echo "disabling the units of the new packages: ${units[*]}"
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "${units[@]}"
    else
      systemctl disable "${units[@]}" # no running systemd: only the links that start them at boot
    fi
  fi
}

missing_pkgs
if [ ${#missing[@]} -gt 0 ]; then install_missing; fi

# The newer peers (rpki-client 9.5, FORT 1.6.8, BIRD 2.17, StayRTR 0.6.2) run from a
# Debian 13 chroot built by shared/peers/trixie.sh beside the checkout (idempotent).
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared"
if [ -f "$shared/peers/trixie.sh" ]; then
  bash "$shared/peers/trixie.sh" setup
elif [ "${CI:-}" = true ]; then
  echo "install-test-deps: $shared/peers/trixie.sh not found (CI=true)" >&2; exit 1
fi
