#!/usr/bin/env bash
# Impact and resilience: a dry run reports the routes it would turn Invalid (-o json "impact"),
# [impact] max_harmed_routes refuses even a forced change over it (impact-limit, exit 3), and
# roactl bgp resilience and the BGP audit name the /25 whose covering /24 is not Valid.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/impact
cfg=$BB_TMP/impact.toml
printf '[impact]\nmax_harmed_routes = 1\n' >"$cfg"
start_road "$D" --config "$cfg"
printf '198.51.100.0/24 64497\n198.51.100.128/25 64497\n203.0.113.0/24 64499\n' >"$BB_TMP/routes"
"$ROACTL" bgp import "$BB_TMP/routes" --name t >/dev/null || fail "bgp import"

"$ROACTL" roa propose --add "198.51.100.0/24 => AS64498" --dry-run -o json >"$BB_TMP/d.json" 2>/dev/null || true
got=$(jq -c '[.impact.harmed_routes, .impact.harmed.own_routes, .impact.harmed.ipv4_slash24, .impact.harmed.origins, .impact.harmed.peers, .impact.transitions[0].from, .impact.transitions[0].to]' "$BB_TMP/d.json")
[ "$got" = '[2,2,1,[64497],["import:t"],"not-found","invalid"]' ] || fail "dry run impact: $got"
ok "dry run: impact names 2 harmed routes (1 /24, origin AS64497, peer import:t)"

rc=0; "$ROACTL" roa propose --add "198.51.100.0/24 => AS64498" --force --reason test >"$BB_TMP/f.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q '^block *impact-limit *the change turns 2 route(s) Invalid, over the limit of 1' "$BB_TMP/f.out" ||
  fail "forced change over max_harmed_routes: exit $rc, $(cat "$BB_TMP/f.out")"
[ "$("$ROACTL" roa list -o json | jq '.roas | length')" = 0 ] || fail "the refused change added a ROA"
ok "max_harmed_routes = 1 refuses a forced change harming 2 routes (exit 3, nothing added)"

"$ROACTL" roa add "198.51.100.128/25 => AS64497" >/dev/null || fail "roa add"
r=$("$ROACTL" bgp resilience -o json | jq -c '[.routes, .with_fallback, [.without_fallback[] | .route.prefix + " " + .suggestion.kind]]')
[ "$r" = '[3,0,["198.51.100.0/24 none","198.51.100.128/25 add-roa","203.0.113.0/24 none"]]' ] || fail "resilience: $r"
ok "bgp resilience: the /25 under a not-found /24 has no fallback (add-roa)"

rc=0; "$ROACTL" audit run bgp -o json >"$BB_TMP/a.json" 2>/dev/null || rc=$?
a=$(jq -c '[.findings[] | select(.code == "no-fallback") | .subject]' "$BB_TMP/a.json")
[ "$rc" = 5 ] && [ "$a" = '["198.51.100.128/25 AS64497"]' ] || fail "bgp audit: exit $rc, no-fallback $a"
ok "BGP audit: exit 5 with a no-fallback finding for 198.51.100.128/25 AS64497"
