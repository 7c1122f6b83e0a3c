#!/usr/bin/env bash
# Installs the Debian packages the tests drive (real peers, not mocks) when any is
# missing. Needs root (apt-get). Run by `make test`; safe to run again.
set -euo pipefail
pkgs=(rpki-client fort-validator stayrtr rtr-tools bird2 gobgpd exabgp rsync openssl bc sqlite3 iproute2 curl python3 gcc libxml2-utils)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  # No service may start on install: the packages ship units that would fetch the real RIR TALs.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Never let the packaged timers/services run against the real RPKI on a systemd host.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now rpki-client.timer fort.service exabgp.service >/dev/null 2>&1 || true
fi
# The newer peers (rpki-client 9.5, FORT 1.6.8, BIRD 2.17, StayRTR 0.6.2) run from a
# Debian 13 chroot built by shared/peers/trixie.sh beside the checkout (idempotent).
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared"
if [ -f "$shared/peers/trixie.sh" ]; then
  bash "$shared/peers/trixie.sh" setup
elif [ "${CI:-}" = true ]; then
  echo "install-test-deps: $shared/peers/trixie.sh not found (CI=true)" >&2; exit 1
fi
