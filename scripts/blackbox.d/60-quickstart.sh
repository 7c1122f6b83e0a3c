#!/usr/bin/env bash
# The README's quick start runs as written: its command lines (indented 4 spaces, or inside
# ``` fences; a leading "$ " stripped; go build, go run and make lines dropped) run one by
# one with bash -c in a fresh directory holding road and roactl, with `./road` started
# there on its embedded default (ports 8080, 8443, 8282), ROAD_TOKEN and ROAD_SERVER
# unset; every line must exit 0. Then rpki-client's output holds exactly the ROAs the
# quick start leaves configured.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  [ "${CI:-}" = true ] && fail "needs root (CI=true)"
  echo "skip: needs root (the quick start runs rpki-client as root)"; exit 0
fi
command -v rpki-client >/dev/null || fail "rpki-client is not installed (scripts/install-test-deps.sh)"
for p in 8080 8443 8282; do
  ss -ltnH "sport = :$p" | grep -q . && fail "port $p is taken: the quick start needs road's default ports"
done

q=$BB_TMP/quickstart; mkdir "$q"; chmod 755 "$q"; cp "$ROAD" "$ROACTL" "$q/"
awk '/^## Quick start/{on=1;next} /^## /{on=0} on && /^```/{f=!f;next} on && f && NF{print;next} on && !f && /^    [^ ]/{sub(/^    /,""); print}' README.md \
  | sed -e 's/^\$ //' | grep -v -E '^(go (build|run)|make )' >"$q/steps" || true
[ -s "$q/steps" ] || fail "README has no commands under '## Quick start'"

(cd "$q" && exec ./road) >"$q/road.log" 2>&1 &
pid=$!; BB_PIDS+=($pid)
wait_http http://127.0.0.1:8080/healthz || fail "road did not answer /healthz on 8080: $(tail -3 "$q/road.log")"
for p in 8080 8443 8282; do # ours, not a road someone started meanwhile
  ss -ltnpH "sport = :$p" | grep -q "pid=$pid," || fail "port $p is not our road's: $(ss -ltnpH "sport = :$p")"
done
i=0
while IFS= read -r line; do
  i=$((i+1))
  (cd "$q" && env -u ROAD_TOKEN -u ROAD_SERVER -u ROAD_DATA_DIR PATH="$q:$PATH" bash -c "$line") >"$q/out$i" 2>&1 \
    || fail "quick start step $i exits non-zero: $line -> $(tail -3 "$q/out$i")"
done <"$q/steps"
ok "the quick start's $i steps exit 0"
grep -q 'block *loose-maxlength' "$q"/out* || fail "no quick start step showed the loose-maxlength refusal the README describes"

# What rpki-client validated: exactly what the quick start leaves configured, which is
# also what road lists (keep in step with README.md).
want=$'192.0.2.0/24 24 64496\n203.0.113.0/24 25 64497'
vrps() { python3 -c '
import json,sys
for r in json.load(sys.stdin)["roas"] or []:
    a=str(r["asn"]); a=a[2:] if a.upper().startswith("AS") else a
    print(r["prefix"], r["maxLength"], a)' | sort; }
[ -f "$q/rpki-client/out/json" ] || fail "the quick start left no rpki-client/out/json"
got=$(vrps <"$q/rpki-client/out/json")
[ "$got" = "$want" ] || fail "rpki-client validated [$got], want [$want]"
listed=$(cd "$q" && ./roactl roa list -o json | python3 -c '
import json,sys
for r in json.load(sys.stdin)["roas"]: print(r["prefix"], r["max_length"], r["asn"])' | sort)
[ "$listed" = "$want" ] || fail "roactl roa list has [$listed], want [$want]"
ok "rpki-client validated exactly the quick start's ROAs: $(echo "$got" | tr '\n' ';')"
