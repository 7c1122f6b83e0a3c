#!/usr/bin/env bash
# usage: scripts/bench-rtr.sh [CORPUS_JSON_GZ]
# Serves the 424,223 VRPs of ../shared/corpus/rpki-client-web with `road rtr` and with Debian's
# stayrtr in the same run and measures, for each server:
#   1. full sync to 1 client (rtrdump v1, as acceptance C2 does, and a lean Go client that only
#      frames PDUs, so the server's own speed shows), median of 3;
#   2. full sync to 100 concurrent lean clients;
#   3. one changed VRP (one added, one withdrawn) reaching 1,000 connected clients: clients join
#      with a Serial Query at the current serial, the file is replaced, and each client answers the
#      Serial Notify with a Serial Query and reads the diff up to End of Data;
# plus the RSS of each server. Prints road/stayrtr ratios (goal: time and RSS <= 0.5, 1,000-client
# change < 1 s). Everything listens on 127.0.0.1 only; every process started here is killed.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
corpus=${1:-$root/../shared/corpus/rpki-client-web/tests/inputs/outputs/json.gz}
for t in stayrtr rtrdump go python3; do command -v $t >/dev/null || { echo "missing $t (scripts/install-test-deps.sh)" >&2; exit 1; }; done
[ -f "$corpus" ] || { echo "missing corpus $corpus" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true
w=$(mktemp -d /tmp/bench-rtr.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$w"; }
trap cleanup EXIT

# --- data: strip the 2023 "expires" (or both servers drop everything), fresh buildtime
zcat "$corpus" | python3 -c '
import json,sys,datetime
d=json.load(sys.stdin); r=d["roas"]
for x in r: x.pop("expires",None)
now=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump({"metadata":{"buildtime":now},"roas":r},open(sys.argv[1],"w"))
r2=[x for x in r if not (x["prefix"]==r[0]["prefix"] and x["asn"]==r[0]["asn"] and x["maxLength"]==r[0]["maxLength"])]
r2.append({"prefix":"100.64.0.0/10","maxLength":24,"asn":4200000001})
json.dump({"metadata":{"buildtime":now},"roas":r2},open(sys.argv[2],"w"))' "$w/road.json" "$w/changed.json"
cp "$w/road.json" "$w/stay.json"
n=$(python3 -c "import json,sys;print(len({(r['prefix'],r['maxLength'],str(r['asn'])) for r in json.load(open(sys.argv[1]))['roas']}))" "$w/road.json")
echo "VRPs: $n"
echo "peers: $(dpkg-query -W -f '${Package} ${Version}, ' stayrtr 2>/dev/null)$(go version | cut -d' ' -f3), $(nproc) cores"

# --- build road (with a stub main while cmd/road/main.go does not exist yet) and the load client
if [ -f "$root/cmd/road/main.go" ]; then
  (cd "$root" && go build -o "$w/road" ./cmd/road)
else
  mkdir -p "$w/stub"
  cat > "$w/stub/main.go" <<'EOF'
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cmdRTR(ctx, os.Args[2:], os.Stdout, os.Stderr))
}
EOF
  echo "{\"Replace\":{\"$root/cmd/road/main.go\":\"$w/stub/main.go\"}}" > "$w/overlay.json"
  (cd "$root" && go build -overlay "$w/overlay.json" -o "$w/road" ./cmd/road)
fi
mkdir -p "$w/load"
cat > "$w/load/main.go" <<'EOF'
// rtrload: lean RTR v1 clients that frame PDUs without decoding VRPs.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"sync"
	"time"
)

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) *conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return &conn{c, bufio.NewReaderSize(c, 256<<10)}
}

// until reads PDUs until one of type stop (or an Error Report); returns the
// number of payload PDUs, the header field and serial of the last PDU.
func (c *conn) until(stop byte) (n int, typ byte, field uint16, serial uint32) {
	var h [8]byte
	body := make([]byte, 64)
	for {
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		l := binary.BigEndian.Uint32(h[4:])
		if int(l-8) > len(body) {
			body = make([]byte, l-8)
		}
		if _, err := io.ReadFull(c.r, body[:l-8]); err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		switch h[1] {
		case 4, 6, 9, 11:
			n++
		case 10:
			fmt.Fprintf(os.Stderr, "error report code %d\n", binary.BigEndian.Uint16(h[2:]))
			os.Exit(1)
		}
		if h[1] == stop || (stop == 7 && h[1] == 8) {
			var s uint32
			if l >= 12 {
				s = binary.BigEndian.Uint32(body)
			}
			return n, h[1], binary.BigEndian.Uint16(h[2:]), s
		}
	}
}

func q(c *conn, typ byte, session uint16, serial uint32) {
	b := []byte{1, typ, 0, 0, 0, 0, 0, 8}
	binary.BigEndian.PutUint16(b[2:], session)
	if typ == 1 {
		b[7] = 12
		b = binary.BigEndian.AppendUint32(b, serial)
	}
	if _, err := c.c.Write(b); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	addr := flag.String("addr", "", "host:port")
	clients := flag.Int("clients", 1, "concurrent clients")
	mode := flag.String("mode", "full", "full | notify")
	want := flag.Int("want", -1, "payload PDUs each client must receive (full sync, or the diff in notify mode)")
	trigger := flag.String("trigger", "", "notify mode: shell command that makes the server change one VRP")
	flag.Parse()
	if *mode == "full" {
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < *clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dial(*addr)
				defer c.c.Close()
				q(c, 2, 0, 0)
				if n, _, _, _ := c.until(7); *want >= 0 && n != *want {
					fmt.Fprintf(os.Stderr, "got %d PDUs, want %d\n", n, *want)
					os.Exit(1)
				}
			}()
		}
		wg.Wait()
		fmt.Printf("%.3f\n", time.Since(start).Seconds())
		return
	}
	// notify: learn session+serial with one full sync, then join N clients by Serial Query.
	c0 := dial(*addr)
	q(c0, 2, 0, 0)
	_, _, session, serial := c0.until(7)
	c0.c.Close()
	cs := make([]*conn, *clients)
	for i := range cs {
		cs[i] = dial(*addr)
		q(cs[i], 1, session, serial)
		if _, typ, _, _ := cs[i].until(7); typ != 7 {
			fmt.Fprintln(os.Stderr, "join: no End of Data")
			os.Exit(1)
		}
	}
	notified := make([]time.Time, len(cs))
	done := make([]time.Time, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, ns := c.until(0) // Serial Notify
			notified[i] = time.Now()
			q(c, 1, session, serial)
			n, typ, _, s := c.until(7)
			done[i] = time.Now()
			if typ != 7 || s != ns || (*want >= 0 && n != *want) {
				fmt.Fprintf(os.Stderr, "client %d: type %d serial %d/%d, %d PDUs (want %d)\n", i, typ, s, ns, n, *want)
				os.Exit(1)
			}
		}()
	}
	t0 := time.Now()
	if out, err := exec.Command("sh", "-c", *trigger).CombinedOutput(); err != nil {
		fmt.Fprintln(os.Stderr, "trigger:", err, string(out))
		os.Exit(1)
	}
	wg.Wait()
	sort.Slice(notified, func(a, b int) bool { return notified[a].Before(notified[b]) })
	last := done[0]
	for _, d := range done {
		if d.After(last) {
			last = d
		}
	}
	// change->all: from the file replacement; notify->all: from the first Serial Notify.
	fmt.Printf("%.3f %.3f\n", last.Sub(t0).Seconds(), last.Sub(notified[0]).Seconds())
}
EOF
(cd "$w/load" && GOFLAGS=-mod=mod GO111MODULE=off go build -o "$w/rtrload" main.go)

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for i in $(seq 1 600); do ss -ltn "sport = :$1" | grep -q LISTEN && return 0; sleep 0.1; done; return 1; }
rss() { ps -o rss= -p "$1" | tr -d ' '; }
med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
ratio() { echo "scale=3; $1 / $2" | bc; }

p1=$(freeport); p2=$(freeport)
"$w/road" rtr --vrps "$w/road.json" --listen "127.0.0.1:$p1" --poll 100ms --notify-interval=-1s --max-per-source 4096 --max-connections 4096 >"$w/road.log" 2>&1 &
rp=$!; pids+=($rp)
stayrtr -bind "127.0.0.1:$p2" -metrics.addr "127.0.0.1:$(freeport)" -cache "$w/stay.json" -checktime=false \
  -refresh 3600 -maxconn 0 >"$w/stay.log" 2>&1 &
sp=$!; pids+=($sp)
waitport "$p1" || { cat "$w/road.log"; exit 1; }
waitport "$p2" || { cat "$w/stay.log"; exit 1; }
for i in $(seq 1 300); do grep -q -E 'Updated added|Error' "$w/stay.log" && break; sleep 0.2; done

tdump() { local s=$(date +%s.%N); rtrdump -connect "127.0.0.1:$1" -rtr.version 1 -file "$w/d$1.json" >/dev/null 2>&1 || { echo "rtrdump failed on $1" >&2; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
# server CPU time (user+system, ms) spent on one rtrdump sync: shows how much of rtrdump's wall
# time is the server's at all (rtrdump itself does ~5 read syscalls per PDU)
cpums() { awk -v t="$(getconf CLK_TCK)" '{print ($14+$15)*1000/t}' "/proc/$1/stat"; }
r_dump=(); s_dump=(); r_one=(); s_one=(); r_cpu=(); s_cpu=()
for i in 1 2 3; do
  a=$(cpums $rp); r_dump+=($(tdump $p1)); r_cpu+=($(echo "$(cpums $rp) - $a" | bc))
  a=$(cpums $sp); s_dump+=($(tdump $p2)); s_cpu+=($(echo "$(cpums $sp) - $a" | bc))
  r_one+=($("$w/rtrload" -addr "127.0.0.1:$p1" -clients 1 -want "$n")); s_one+=($("$w/rtrload" -addr "127.0.0.1:$p2" -clients 1 -want "$n"))
done
for p in $p1 $p2; do
  got=$(python3 -c "import json,sys;print(len(json.load(open(sys.argv[1]))['roas']))" "$w/d$p.json")
  [ "$got" = "$n" ] || { echo "rtrdump got $got of $n VRPs from port $p" >&2; exit 1; }
done
r100=$("$w/rtrload" -addr "127.0.0.1:$p1" -clients 100 -want "$n"); rrss100=$(rss $rp)
s100=$("$w/rtrload" -addr "127.0.0.1:$p2" -clients 100 -want "$n"); srss100=$(rss $sp)

read -r r_chg r_ntf < <("$w/rtrload" -addr "127.0.0.1:$p1" -mode notify -clients 1000 -want 2 \
  -trigger "cp $w/changed.json $w/road.json.tmp && mv $w/road.json.tmp $w/road.json")
rrss=$(rss $rp)
read -r s_chg s_ntf < <("$w/rtrload" -addr "127.0.0.1:$p2" -mode notify -clients 1000 -want 2 \
  -trigger "cp $w/changed.json $w/stay.json.tmp && mv $w/stay.json.tmp $w/stay.json && kill -HUP $sp")
srss=$(rss $sp)

printf '%-44s %10s %10s %7s\n' "" road stayrtr ratio
row() { printf '%-44s %10s %10s %7s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
row "full sync, rtrdump v1, 1 client (s, median)" "$(med "${r_dump[@]}")" "$(med "${s_dump[@]}")"
row "server CPU per rtrdump v1 sync (ms, median)" "$(med "${r_cpu[@]}")" "$(med "${s_cpu[@]}")"
row "full sync, lean client, 1 client (s, median)" "$(med "${r_one[@]}")" "$(med "${s_one[@]}")"
row "full sync, 100 concurrent clients (s)" "$r100" "$s100"
row "RSS after 100-client sync (KiB)" "$rrss100" "$srss100"
row "1 change -> 1000 clients, from file (s)" "$r_chg" "$s_chg"
row "1 change -> 1000 clients, from notify (s)" "$r_ntf" "$s_ntf"
row "RSS with 1000 clients (KiB)" "$rrss" "$srss"
