#!/usr/bin/env bash
# Named tokens and roles: a read-only token reads (200) and every mutating
# route refuses it (403); an operator adds ROAs but not tokens; a revoked
# token gets 401; history's actor is the token's name.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/roles
start_road "$D"
ADMIN=$ROAD_TOKEN
API=$ROAD_SERVER/api/v1

# status METHOD PATH TOKEN: the HTTP status of one API call.
status() { curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
  -H 'Content-Type: application/json' --data-binary '{}' "$API$2"; }
# Without a body for GET (curl would send one).
get() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$API$1"; }

out=$("$ROACTL" token add monitor --role read-only) || fail "token add monitor: $out"
sec=$(printf '%s\n' "$out" | grep -oE '[A-Za-z0-9_-]{20,}' | tail -1)
[ -n "$sec" ] && [ "$(printf '%s\n' "$out" | tail -1)" = "$sec" ] || fail "no secret on the last line of: $out"
[ "$sec" != "$ADMIN" ] || fail "the new token's secret is the admin token"
ok "roactl token add monitor --role read-only printed a secret"

# The routes and their roles: the role table in internal/api/auth.go, which
# TestEveryRouteHasARole checks against the router (so no route is missing).
routes=$(grep -oE '^\s*"(GET|POST|PUT|PATCH|DELETE) /[^"]*": *access\.[A-Za-z]+' internal/api/auth.go |
  sed -E 's/^\s*"([A-Z]+) ([^"]*)": *access\.([A-Za-z]+)/\1 \2 \3/')
[ "$(printf '%s\n' "$routes" | wc -l)" -ge 20 ] || fail "read only $(printf '%s\n' "$routes" | wc -l) routes from the role table"

# Reads answer 200 once the relying party has run (GET /rp/vrps is 503 before).
for i in $(seq 1 600); do [ "$(get /rp/vrps "$ADMIN")" = 200 ] && break; sleep 0.1; done
[ "$(get /rp/vrps "$ADMIN")" = 200 ] || fail "the relying party did not run within a minute"
# Change 1 exists for GET /changes/{id}.
"$ROACTL" roa add "198.51.100.0/24 => AS64497" >/dev/null || fail "admin roa add failed"
reads=0 writes=0
while read -r method pattern role; do
  path=$(printf '%s' "$pattern" | sed -e 's/{kind}/expiry/' -e 's/{name}/nothing/' -e 's/{id}/1/')
  if [ "$method" = GET ] && [ "$role" = ReadOnly ]; then
    got=$(get "$path" "$sec")
    [ "$got" = 200 ] || fail "read-only GET $path: $got, want 200"
    reads=$((reads + 1))
  else
    if [ "$method" = GET ]; then got=$(get "$path" "$sec"); else got=$(status "$method" "$path" "$sec"); fi
    [ "$got" = 403 ] || fail "read-only $method $path: $got, want 403"
    writes=$((writes + 1))
  fi
done <<<"$routes"
body=$(curl -s -X POST -H "Authorization: Bearer $sec" --data-binary '{}' "$API/roas/proposals")
[ "$(printf '%s' "$body" | jq -r '.error.code + " " + .error.details.needed')" = "forbidden operator" ] ||
  fail "403 body does not name the role needed: $body"
ok "read-only token: $reads reads 200, $writes other routes 403 (forbidden, naming the role)"

ROAD_TOKEN=$sec "$ROACTL" roa list >/dev/null || fail "read-only roactl roa list failed"
if ROAD_TOKEN=$sec "$ROACTL" roa add "192.0.2.0/24 => AS64496" >/dev/null 2>&1; then fail "read-only roa add succeeded"; fi
[ "$("$ROACTL" roa list -o json | jq '.roas | length')" = 1 ] || fail "read-only roa add added a ROA"
ok "ROAD_TOKEN=monitor: roa list exits 0, roa add exits non-zero and adds nothing"

out=$("$ROACTL" token add ops --role operator) || fail "token add ops: $out"
ops=$(printf '%s\n' "$out" | grep -oE '[A-Za-z0-9_-]{20,}' | tail -1)
USER=alice ROAD_TOKEN=$ops "$ROACTL" roa add "192.0.2.0/24 => AS64496" >/dev/null || fail "operator roa add failed"
[ "$("$ROACTL" roa list -o json | jq -r '.roas[0].prefix')" = 192.0.2.0/24 ] || fail "the operator's ROA is not listed"
err=$(ROAD_TOKEN=$ops "$ROACTL" token add sneaky --role admin 2>&1) && fail "operator token add succeeded"
printf '%s' "$err" | grep -q "403 forbidden" || fail "operator token add: $err"
[ "$(status POST /tokens "$ops")" = 403 ] || fail "operator POST /tokens is not 403"
ok "operator token adds a ROA, cannot add tokens (403)"

h=$("$ROACTL" history -o json)
[ "$(printf '%s' "$h" | jq -r '[.entries[] | select(.action == "roa-change")][0] | .actor + "/" + .actor_remark')" = ops/alice ] ||
  fail "history's roa-change actor is not the token name ops (remark alice): $h"
[ "$(printf '%s' "$h" | jq -r '[.entries[] | select(.action == "token-add")][0].actor')" = admin ] ||
  fail "history's token-add actor is not admin: $h"
ok "history: the actor is the token name (ops), X-Road-Actor a remark (alice)"

list=$("$ROACTL" token list)
printf '%s\n' "$list" | grep -qE '^monitor +read-only +[0-9TZ:-]+ +admin$' || fail "token list: $list"
printf '%s\n' "$list" | grep -qF -- "$sec" && fail "token list shows a secret"
"$ROACTL" token revoke monitor >/dev/null || fail "token revoke monitor failed"
[ "$(get /roas "$sec")" = 401 ] || fail "revoked token is not 401"
if ROAD_TOKEN=$sec "$ROACTL" roa list >/dev/null 2>&1; then fail "revoked token still lists ROAs"; fi
ok "token list shows no secrets; a revoked token gets 401"
