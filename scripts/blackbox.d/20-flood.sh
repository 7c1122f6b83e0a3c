#!/usr/bin/env bash
# Connection floods cost bounded time, memory and file descriptors, and real routers still
# get their data: with short timeouts, 2,000 RTR connections (1,000 silent, 1,000 that send
# two bytes of a PDU and stop) and 500 to the HTTPS listener (200 idle keep-alive after a
# request, 200 silent after the TLS handshake, 100 that never send a ClientHello) are held
# open while rtrdump syncs and must get exactly the one VRP configured; then every flood
# connection must be closed by road within its timeout (plus a margin), measured per
# connection by the client that polls for the close. Everything runs on 127.0.0.1: the
# per-source bound (--rtr-max-per-source) is set just above the flood, so the flood and the
# real router share one source address; internal/rtr's TestConnectionCaps checks the bounds
# themselves (refusal per source, eviction at the total) with two loopback sources.
. "$(dirname "$0")/lib.sh"
ulimit -n 16384 || fail "cannot raise the open-files limit to 16384"
command -v rtrdump >/dev/null || fail "rtrdump (stayrtr) is not installed"
D=$BB_TMP/flood
HS=8 PDU=4 HDR=6 IDLE=6 MARGIN=4
start_road "$D" --rtr-handshake-timeout ${HS}s --rtr-pdu-timeout ${PDU}s \
  --rtr-max-connections 2010 --rtr-max-per-source 2005 \
  --http-read-header-timeout ${HDR}s --http-idle-timeout ${IDLE}s --http-access-log debug

proc() { # fds and RSS of road
  printf 'fds=%s rss=%s' "$(ls /proc/"$ROAD_PID"/fd | wc -l)" "$(awk '/^VmRSS/ {print $2 $3}' /proc/"$ROAD_PID"/status)"
}
metric() { curl -sf "http://$HTTP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# rtrdump_vrps: one sync with rtrdump; prints the VRPs as sorted "PREFIX MAXLEN ASN" lines.
rtrdump_vrps() {
  rm -f "$D.rtrdump.json"
  rtrdump -connect "$RTR" -rtr.version 1 -file "$D.rtrdump.json" >"$D.rtrdump.log" 2>&1 || return 1
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in sorted(d.get("roas") or [], key=lambda r: (r["prefix"], r["maxLength"], str(r["asn"]))):
    asn = str(r["asn"]).upper().removeprefix("AS")
    print(r["prefix"], r["maxLength"], "AS" + asn)' "$D.rtrdump.json"
}

"$ROACTL" roa add "192.0.2.0/24 => AS64496" >/dev/null || fail "roa add failed"
want="192.0.2.0/24 24 AS64496"
got=""
for i in $(seq 1 600); do
  got=$(rtrdump_vrps || true)
  [ "$got" = "$want" ] && break
  sleep 0.1
done
[ "$got" = "$want" ] || fail "road's RTR did not serve the ROA within a minute: '$got'"
before=$(proc)

cat >"$D.flood.py" <<'EOF'
import json, os, selectors, socket, ssl, sys, time
rtr_addr, https_addr, marker, hs, pdu, hdr, idle, margin = sys.argv[1:9]
hs, pdu, hdr, idle, margin = (float(x) for x in (hs, pdu, hdr, idle, margin))
def hostport(a):
    h, p = a.rsplit(":", 1)
    return (h, int(p))
conns = []  # [sock, kind, opened, limit]
def tcp(addr):
    s = socket.create_connection(hostport(addr))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait behind a delayed ACK
    return s
for i in range(2000):
    s = tcp(rtr_addr)
    if i % 2:
        s.sendall(b"\x01\x02")  # the first two bytes of a Reset Query, then nothing
        conns.append([s, "rtr-partial-pdu", time.monotonic(), pdu])
    else:
        conns.append([s, "rtr-silent", time.monotonic(), hs])
ctx = ssl.create_default_context(cafile=os.environ["CA"])
for i in range(500):
    if i < 100:
        conns.append([tcp(https_addr), "tls-no-hello", time.monotonic(), hdr])
        continue
    s = ctx.wrap_socket(tcp(https_addr), server_hostname="127.0.0.1")
    if i < 300:
        conns.append([s, "tls-after-handshake", time.monotonic(), hdr])
        continue
    s.sendall(b"GET /ta/ta.cer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, body = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit("GET /ta/ta.cer: " + head.decode(errors="replace"))
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < n:
        body += s.recv(4096)
    conns.append([s, "tls-keepalive-idle", time.monotonic(), idle])
print("opened %d connections in %.1f s" % (len(conns), time.monotonic() - conns[0][2]), file=sys.stderr)
open(marker, "w").write("%d\n" % len(conns))
sel = selectors.DefaultSelector()
for c in conns:
    c[0].setblocking(False)
    sel.register(c[0], selectors.EVENT_READ, c)
closed, unexpected = {}, []
deadline = time.monotonic() + max(hs, pdu, hdr, idle) + margin + 5
while len(closed) < len(conns) and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.2):
        c = key.data
        try:
            data = c[0].recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            continue  # TLS records that carry no data (session tickets)
        except (ConnectionResetError, ssl.SSLError, OSError):
            data = b""
        if data:
            unexpected.append("%s got %r" % (c[1], data[:40]))
            continue
        closed[id(c)] = time.monotonic() - c[2]
        sel.unregister(c[0])
        c[0].close()
kinds = {}
for c in conns:
    k = kinds.setdefault(c[1], {"n": 0, "open": 0, "early": 0, "late": 0, "min": None, "max": 0.0, "limit": c[3]})
    k["n"] += 1
    took = closed.get(id(c))
    if took is None:
        k["open"] += 1
        continue
    k["min"] = took if k["min"] is None else min(k["min"], took)
    k["max"] = max(k["max"], took)
    if took < c[3] - 0.05:
        k["early"] += 1
    if took > c[3] + margin:
        k["late"] += 1
print(json.dumps({"kinds": kinds, "unexpected": unexpected[:5]}))
EOF
CA=$D/tls/ca.pem python3 "$D.flood.py" "$RTR" "$HTTPS" "$D.flood.open" $HS $PDU $HDR $IDLE $MARGIN >"$D.flood.json" 2>"$D.flood.err" &
FLOOD=$!; BB_PIDS+=("$FLOOD")
for i in $(seq 1 600); do
  [ -s "$D.flood.open" ] && break
  kill -0 "$FLOOD" 2>/dev/null || fail "the flood client ended: $(cat "$D.flood.err")"
  sleep 0.1
done
[ -s "$D.flood.open" ] || fail "the flood did not open its connections within a minute"
# The client has connected; road may still be accepting from its backlog on a busy machine.
for i in $(seq 1 40); do [ "$(ls /proc/"$ROAD_PID"/fd | wc -l)" -gt 2000 ] && break; sleep 0.1; done
during=$(proc)
clients=$(metric road_rtr_clients)
[ "$(ls /proc/"$ROAD_PID"/fd | wc -l)" -gt 2000 ] || fail "only $(proc) during the flood: the flood is not open ($(cat "$D.flood.err"))"
got=$(rtrdump_vrps) || fail "rtrdump failed during the flood: $(tail -3 "$D.rtrdump.log")"
[ "$got" = "$want" ] || fail "rtrdump during the flood got '$got', want '$want'"
"$ROACTL" status >/dev/null || fail "roactl status failed during the flood"
ok "during a flood of $(cat "$D.flood.open") connections (road_rtr_clients $clients) rtrdump synced exactly '$want' and the REST API answered"

wait "$FLOOD" || fail "flood client: $(cat "$D.flood.err")"
python3 - "$D.flood.json" <<'EOF' || fail "flood connections not closed in time: $(cat "$D.flood.json")"
import json, sys
r = json.load(open(sys.argv[1]))
bad = r["unexpected"][:]
for kind, k in sorted(r["kinds"].items()):
    print("  %-20s %4d connections, closed after %.1f..%.1f s (timeout %.0f s)" % (kind, k["n"], k["min"] or 0, k["max"], k["limit"]))
    if k["open"] or k["early"] or k["late"]:
        bad.append("%s: %d still open, %d closed before the timeout, %d after timeout+margin" % (kind, k["open"], k["early"], k["late"]))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
ok "every flood connection was closed by road within its timeout + ${MARGIN}s"

# The descriptors go back (polled: the close has reached the client before road's bookkeeping).
fds_before=$(echo "$before" | sed -E 's/fds=([0-9]+).*/\1/')
for i in $(seq 1 100); do [ "$(ls /proc/"$ROAD_PID"/fd | wc -l)" -le $((fds_before + 10)) ] && break; sleep 0.1; done
after=$(proc)
[ "$(ls /proc/"$ROAD_PID"/fd | wc -l)" -le $((fds_before + 10)) ] || fail "road keeps descriptors after the flood: before $before, after $after"
hs_n=$(metric 'road_rtr_connections_timed_out_total{phase="handshake"}')
pdu_n=$(metric 'road_rtr_connections_timed_out_total{phase="pdu"}')
[ "$hs_n" = 1000 ] && [ "$pdu_n" = 1000 ] || fail "timed-out counters handshake=$hs_n pdu=$pdu_n, want 1000 and 1000"
[ -z "$(metric 'road_rtr_connections_refused_total{reason="max-per-source"}')" ] || fail "connections were refused"
ok "road before the flood: $before; during: $during; after: $after; RTR timeouts: handshake $hs_n, pdu $pdu_n"
