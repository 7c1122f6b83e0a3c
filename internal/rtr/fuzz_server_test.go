package rtr

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// FuzzServerInput feeds arbitrary bytes to a live server as one router's
// input and checks what comes back: only well-formed PDUs of one version,
// whole answers (Cache Response ... End of Data, or Cache Reset), and at
// most one Error Report, the last PDU before the server closes (with data
// loaded, every error is fatal: RFC 8210 §12). The server must keep
// serving other routers afterwards.
func FuzzServerInput(f *testing.F) {
	f.Add(AppendResetQuery(nil, 1))
	f.Add(append(AppendResetQuery(nil, 2), AppendSerialQuery(nil, 2, 0, 0)...))
	f.Add(AppendSerialQuery(nil, 0, 1, 1))
	f.Add(append(AppendResetQuery(nil, 1), AppendResetQuery(nil, 0)...))
	f.Add(mustHex(f, "0105000000000008"))
	f.Add(mustHex(f, "01020000ffffff00"))
	f.Add(AppendErrorReport(nil, 1, ErrInternal, AppendResetQuery(nil, 1), "x"))

	s := NewServer(Config{NotifyInterval: -1})
	a := []vrp.VRP{{Prefix: mustPrefix("192.0.2.0/24"), MaxLen: 24, ASN: 64496}, {Prefix: mustPrefix("2001:db8::/32"), MaxLen: 48, ASN: 64497}}
	s.Update(vrp.NewSet(a), []vrp.ASPA{{Customer: 64496, Providers: []uint32{64511}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, ln) }()
	f.Cleanup(func() { cancel(); wg.Wait() })
	addr := ln.Addr().String()

	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			_, _ = conn.Write(data)
			_ = conn.(*net.TCPConn).CloseWrite()
		}()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var buf []byte
		version, inAnswer, sawError := -1, false, false
		for {
			raw, err := ReadRaw(conn, buf, 1<<20)
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
				break
			}
			if err != nil {
				t.Fatalf("reading the server: %v", err)
			}
			buf = raw
			p, err := Parse(raw)
			if err != nil {
				t.Fatalf("server sent a malformed PDU %x: %v", raw, err)
			}
			if sawError {
				t.Fatalf("PDU %d after a fatal Error Report", p.Type)
			}
			if version >= 0 && int(p.Version) != version && p.Type != TypeErrorReport {
				t.Fatalf("version %d after %d", p.Version, version)
			}
			switch p.Type {
			case TypeCacheResponse:
				if inAnswer {
					t.Fatal("nested Cache Response")
				}
				inAnswer, version = true, int(p.Version)
			case TypeIPv4Prefix, TypeIPv6Prefix, TypeASPA:
				if !inAnswer {
					t.Fatal("payload outside an answer")
				}
			case TypeEndOfData:
				if !inAnswer {
					t.Fatal("End of Data without Cache Response")
				}
				inAnswer = false
			case TypeCacheReset:
				if inAnswer {
					t.Fatal("Cache Reset inside an answer")
				}
				version = int(p.Version)
			case TypeErrorReport:
				if inAnswer || p.Field == ErrNoData || p.Field > ErrUnexpectedVersion {
					t.Fatalf("error report code %d (in answer %v)", p.Field, inAnswer)
				}
				sawError = true
			default:
				t.Fatalf("unexpected PDU type %d", p.Type)
			}
		}
		if inAnswer {
			t.Fatal("answer cut off before End of Data")
		}
	})
}

// isReset reports a connection reset (a router that sent garbage after a
// fatal PDU may see one once the server closes).
func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}
