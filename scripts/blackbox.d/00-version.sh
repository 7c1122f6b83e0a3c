#!/usr/bin/env bash
# The binaries build and answer --help.
. "$(dirname "$0")/lib.sh"
"$ROAD" --help >/dev/null 2>&1 || fail "road --help does not exit 0"
"$ROACTL" --help >/dev/null 2>&1 || fail "roactl --help does not exit 0"
ok "road and roactl build and answer --help"
