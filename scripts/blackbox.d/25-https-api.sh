#!/usr/bin/env bash
# The REST API over TLS (--http-tls testbed) with roactl trusting road's testbed CA; plain
# HTTP on a non-loopback --http address refused at start naming --http-allow-plain; the
# access log has one line per request and never the token.
. "$(dirname "$0")/lib.sh"
D=$BB_TMP/https-api
API=127.0.0.1:$(freeport) HTTPS=127.0.0.1:$(freeport)
"$ROAD" serve --data-dir "$D" --http "$API" --http-tls testbed --https "$HTTPS" --rtr "" \
  --rrdp-base "https://$HTTPS/rrdp/" >"$D.log" 2>&1 &
BB_PIDS+=($!)
CURL_CA_BUNDLE=$D/tls/ca.pem wait_http "https://$API/healthz" || fail "no /healthz over TLS: $(tail -3 "$D.log")"
TOKEN=$(cat "$D/admin.token")

out=$(ROAD_SERVER=https://$API ROAD_DATA_DIR=$D "$ROACTL" status -o json) || fail "roactl status over https: $out"
printf '%s' "$out" | python3 -c 'import json,sys; assert json.load(sys.stdin)["publication"]["serial"] >= 1' ||
  fail "roactl status over https: $out"
out=$(ROAD_SERVER=https://$API ROAD_TOKEN=$TOKEN ROAD_CACERT=$D/tls/ca.pem ROAD_DATA_DIR=/nonexistent "$ROACTL" roa list) ||
  fail "roactl with ROAD_CACERT: $out"
set +e
out=$(ROAD_SERVER=https://$API ROAD_TOKEN=$TOKEN ROAD_DATA_DIR=/nonexistent "$ROACTL" status 2>&1); code=$?
set -e
[ $code = 1 ] && [[ $out == *"certificate signed by unknown authority"*"--cacert"* ]] ||
  fail "roactl without the CA: exit $code: $out"
ok "roactl talks to the API over TLS with the testbed CA (data directory, ROAD_CACERT) and refuses it without (exit 1, naming --cacert)"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://$API/healthz" || true)
[ "$code" = 400 ] || fail "plain HTTP to the TLS API answered $code, want 400"
grep -q 'msg="http request" listener=http method=GET path=/api/v1/status status=200 bytes=' "$D.log" ||
  fail "no access-log line for GET /api/v1/status: $(grep 'http request' "$D.log" | head -3)"
! grep -qF "$TOKEN" "$D.log" || fail "the admin token is in the log"
ok "plain HTTP to the TLS listener gets 400; the access log names GET /api/v1/status and not the token"

# 192.0.2.1 is no local address: if the refusal failed, road would fail to bind (exit 1), not exit 2.
set +e
out=$("$ROAD" serve --data-dir "$BB_TMP/plain" --http "192.0.2.1:$(freeport)" --https "" --rtr "" 2>&1); code=$?
set -e
[ $code = 2 ] && [[ $out == *"is not a loopback address"*"--http-allow-plain"* ]] ||
  fail "plain HTTP on a non-loopback address: exit $code: $out"
ok "plain HTTP on a non-loopback --http is refused at start (exit 2, naming --http-allow-plain)"
