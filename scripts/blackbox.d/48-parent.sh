#!/usr/bin/env bash
# road as RFC 6492 parent and RFC 8181 publication server through roactl: a child and a
# publisher are added from real RFC 8183 requests (road's own, from roactl parent request and
# repository request), listed, changed and removed with exact outputs; the protocol endpoints
# answer garbage and unknown names with HTTP 400 and a CMS-signed body, without a token.
. "$(dirname "$0")/lib.sh"
d=$BB_TMP/parent; mkdir -p "$d"
start_road "$d/data"
"$ROACTL" parent request >"$d/child_request.xml" || fail "roactl parent request"
"$ROACTL" child add B "$d/child_request.xml" --resources "192.0.2.0/25, AS64500" >"$d/pr.xml" || fail "roactl child add"
grep -q "^<parent_response " "$d/pr.xml" || fail "child add printed no <parent_response>: $(head -c 200 "$d/pr.xml")"
grep -q "service_uri=\"http://$HTTP/rfc6492/B\"" "$d/pr.xml" || fail "parent_response has no service_uri http://$HTTP/rfc6492/B"
grep -q 'child_handle="B"' "$d/pr.xml" || fail "parent_response has no child_handle B"
got=$("$ROACTL" child list -o json | python3 -c 'import json,sys; c=json.load(sys.stdin)["children"]; print(len(c), c[0]["name"], ",".join(c[0]["resources"]), len(c[0]["certificates"]))')
[ "$got" = "1 B 192.0.2.0/25,AS64500 0" ] || fail "child list -o json: $got"
out=$("$ROACTL" child resources B --resources "192.0.2.0/26")
[ "$out" = "child B: resources 192.0.2.0/26; 0 certificate(s) follow them" ] || fail "child resources: $out"
rc=0; "$ROACTL" child add C "$d/child_request.xml" --resources "192.0.2.1/24" >/dev/null 2>"$d/e" || rc=$?
[ "$rc" = 2 ] && grep -q "bad-request" "$d/e" || fail "child add with a host-bit prefix: exit $rc, $(cat "$d/e")"
ok "child add, list, resources with exact outputs; bad resources are exit 2"

"$ROACTL" repository request >"$d/publisher_request.xml" || fail "roactl repository request"
"$ROACTL" publisher add B "$d/publisher_request.xml" >"$d/rr.xml" || fail "roactl publisher add"
grep -q 'sia_base="rsync://127.0.0.1:8873/repo/B/"' "$d/rr.xml" || fail "repository_response sia_base: $(head -c 300 "$d/rr.xml")"
grep -q "service_uri=\"http://$HTTP/rfc8181/B\"" "$d/rr.xml" || fail "repository_response service_uri"
rc=0; "$ROACTL" publisher add ca "$d/publisher_request.xml" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "publisher add ca (road's own directory): exit $rc"
got=$("$ROACTL" publisher list -o json | python3 -c 'import json,sys; p=json.load(sys.stdin)["publishers"]; print(len(p), p[0]["name"], p[0]["sia_base"], p[0]["objects"])')
[ "$got" = "1 B rsync://127.0.0.1:8873/repo/B/ 0" ] || fail "publisher list -o json: $got"
ok "publisher add and list; road's own directories are refused"

for ep in rfc6492/B rfc6492/nobody rfc8181/B; do
  code=$(curl -s -o "$d/body" -w '%{http_code} %{content_type}' -X POST --data-binary 'garbage' "http://$HTTP/$ep")
  case $ep in rfc6492/*) ct=application/rpki-updown ;; *) ct=application/rpki-publication ;; esac
  [ "$code" = "400 $ct" ] || fail "POST /$ep garbage: $code"
  [ "$(head -c 1 "$d/body" | od -An -tx1 | tr -d ' ')" = 30 ] || fail "POST /$ep: the answer is not CMS (DER SEQUENCE)"
done
ok "the protocol endpoints refuse garbage and unknown names with HTTP 400 and a signed answer, no token needed"

out=$("$ROACTL" child remove B) && [ "$out" = "removed child B and revoked its certificates" ] || fail "child remove: $out"
out=$("$ROACTL" publisher remove B) && [ "$out" = "removed publisher B and withdrew its objects" ] || fail "publisher remove: $out"
[ "$("$ROACTL" child list -o json)" = '{
  "children": []
}' ] || fail "child list after remove: $("$ROACTL" child list -o json)"
ok "child and publisher remove"
