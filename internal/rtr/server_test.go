package rtr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// testServer runs a Server on a free loopback port until the test ends.
func testServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.NotifyInterval == 0 {
		cfg.NotifyInterval = -1
	}
	s := NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s, ln.Addr().String()
}

// tclient is a minimal RTR router for tests.
type tclient struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

func dial(t *testing.T, addr string) *tclient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &tclient{t: t, conn: c}
}

func (c *tclient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *tclient) next() (PDU, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := ReadRaw(c.conn, c.buf, 1<<24)
	if err != nil {
		return PDU{}, err
	}
	c.buf = raw
	p, err := Parse(raw)
	p.Raw = append([]byte(nil), raw...)
	return p, err
}

func (c *tclient) must() PDU {
	c.t.Helper()
	p, err := c.next()
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// syncResult is what one query produced.
type syncResult struct {
	session        uint16
	serial         uint32
	ann, wd        []vrp.VRP
	aAnn, aWd      []vrp.ASPA
	eod            PDU
	reset          bool
	errPDU         *PDU
	pdusAfterStart int
}

// query sends b and reads until End of Data, Cache Reset or Error Report,
// skipping Serial Notifies.
func (c *tclient) query(b []byte) syncResult {
	c.t.Helper()
	c.send(b)
	var r syncResult
	for {
		p := c.must()
		switch p.Type {
		case TypeSerialNotify:
			continue
		case TypeCacheResponse:
			r.session = p.Field
		case TypeIPv4Prefix, TypeIPv6Prefix:
			r.pdusAfterStart++
			if p.Announce {
				r.ann = append(r.ann, p.VRP)
			} else {
				r.wd = append(r.wd, p.VRP)
			}
		case TypeASPA:
			if p.Announce {
				r.aAnn = append(r.aAnn, p.ASPA)
			} else {
				r.aWd = append(r.aWd, p.ASPA)
			}
		case TypeEndOfData:
			r.eod, r.serial = p, p.Serial
			return r
		case TypeCacheReset:
			r.reset = true
			return r
		case TypeErrorReport:
			r.errPDU = &p
			return r
		default:
			c.t.Fatalf("unexpected PDU %+v", p.Header)
		}
	}
}

func set(t *testing.T, ss ...string) vrp.Set {
	var vs []vrp.VRP
	for _, s := range ss {
		v, err := vrp.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vrp.NewSet(vs)
}

func sameSet(a []vrp.VRP, b vrp.Set) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(vrp.NewSet(append([]vrp.VRP(nil), a...)), b)
}

var (
	setA = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "2001:db8::/32-48 => AS4200000000"}
)

func TestNoDataThenData(t *testing.T) {
	s, addr := testServer(t, Config{})
	c := dial(t, addr)
	r := c.query(AppendResetQuery(nil, 1))
	if r.errPDU == nil || r.errPDU.Field != ErrNoData || r.errPDU.Version != 1 {
		t.Fatalf("want No Data error, got %+v", r)
	}
	if p, _ := Parse(r.errPDU.ErrorPDU); p.Type != TypeResetQuery {
		t.Fatalf("error report must encapsulate the query, got %x", r.errPDU.ErrorPDU)
	}
	// No Data is not fatal: the same connection works once data exists.
	a := set(t, setA...)
	serial, changed := s.Update(a, nil)
	if !changed {
		t.Fatal("first update not a change")
	}
	r = c.query(AppendResetQuery(nil, 1))
	if r.errPDU != nil || !sameSet(r.ann, a) || len(r.wd) != 0 || r.serial != serial {
		t.Fatalf("full sync: %+v", r)
	}
	if r.session != s.Sessions()[1] || r.eod.Field != r.session {
		t.Fatalf("session %d eod %d want %d", r.session, r.eod.Field, s.Sessions()[1])
	}
	if r.eod.Timers != (Timers{3600, 600, 7200}) {
		t.Fatalf("timers %+v", r.eod.Timers)
	}
	if _, changed := s.Update(set(t, setA...), nil); changed {
		t.Fatal("identical update must not create a serial")
	}
}

func TestEmptiedSetIsNotNoData(t *testing.T) {
	s, addr := testServer(t, Config{})
	a := set(t, setA...)
	s.Update(a, nil)
	c := dial(t, addr)
	r := c.query(AppendResetQuery(nil, 1))
	s.Update(vrp.Set{}, nil)
	d := c.query(AppendSerialQuery(nil, 1, r.session, r.serial))
	if d.errPDU != nil || len(d.ann) != 0 || !sameSet(d.wd, a) || d.serial != r.serial+1 {
		t.Fatalf("diff to empty: %+v", d)
	}
	f := dial(t, addr).query(AppendResetQuery(nil, 0))
	if f.errPDU != nil || len(f.ann) != 0 || f.eod.Length != 12 {
		t.Fatalf("empty full sync must be End of Data, got %+v", f)
	}
}

func TestVersionsAndSessions(t *testing.T) {
	s, addr := testServer(t, Config{})
	aspas := []vrp.ASPA{{Customer: 64496, Providers: []uint32{64498, 64497}}}
	s.Update(set(t, setA...), aspas)
	seen := map[uint16]bool{}
	for v := uint8(0); v <= 2; v++ {
		r := dial(t, addr).query(AppendResetQuery(nil, v))
		if r.eod.Version != v || len(r.ann) != 3 {
			t.Fatalf("v%d: %+v", v, r)
		}
		if seen[r.session] {
			t.Fatalf("v%d reuses session %d", v, r.session)
		}
		seen[r.session] = true
		wantASPA := 0
		if v == 2 {
			wantASPA = 1
		}
		if len(r.aAnn) != wantASPA {
			t.Fatalf("v%d: %d ASPAs", v, len(r.aAnn))
		}
	}
	// A version we do not speak: Error 4 carrying our highest version, then close.
	c := dial(t, addr)
	q := AppendResetQuery(nil, 3)
	r := c.query(q)
	if r.errPDU == nil || r.errPDU.Field != ErrUnsupportedVersion || r.errPDU.Version != 2 || string(r.errPDU.ErrorPDU) != string(q) {
		t.Fatalf("v3: %+v", r.errPDU)
	}
	if _, err := c.next(); err != io.EOF {
		t.Fatalf("want close after fatal error, got %v", err)
	}
	// A v1-only server answers v2 with Error 4 at version 1.
	_, addr1 := testServer(t, Config{MaxVersion: 1})
	r = dial(t, addr1).query(AppendResetQuery(nil, 2))
	if r.errPDU == nil || r.errPDU.Field != ErrUnsupportedVersion || r.errPDU.Version != 1 {
		t.Fatalf("v1 server: %+v", r.errPDU)
	}
}

func TestProtocolErrors(t *testing.T) {
	s, addr := testServer(t, Config{})
	s.Update(set(t, setA...), nil)
	sess := s.Sessions()
	cases := []struct {
		name    string
		first   []byte // optional negotiation query
		pdu     []byte
		code    uint16
		version uint8
	}{
		{"short length", nil, mustHex(t, "0102000000000004"), ErrCorruptData, 1},
		{"huge length", nil, mustHex(t, "01020000ffffff00"), ErrCorruptData, 1},
		{"reset too long", nil, mustHex(t, "010200000000000c00000000"), ErrCorruptData, 1},
		{"serial query short", nil, mustHex(t, "0101000000000008"), ErrCorruptData, 1},
		{"unknown type", nil, mustHex(t, "0105000000000008"), ErrUnsupportedPDU, 1},
		{"type 255", nil, mustHex(t, "02ff000000000008"), ErrUnsupportedPDU, 2},
		{"bad version", nil, mustHex(t, "0702000000000008"), ErrUnsupportedVersion, 2},
		{"cache-only PDU", nil, AppendCacheResponse(nil, 1, 0), ErrInvalidRequest, 1},
		{"wrong session", nil, AppendSerialQuery(nil, 1, sess[1]+1, 1), ErrCorruptData, 1},
		{"version change", AppendResetQuery(nil, 1), AppendResetQuery(nil, 0), ErrUnexpectedVersion, 1},
		{"version change v0", AppendResetQuery(nil, 0), AppendResetQuery(nil, 1), ErrUnsupportedVersion, 0},
	}
	for _, tc := range cases {
		c := dial(t, addr)
		if tc.first != nil {
			c.query(tc.first)
		}
		r := c.query(tc.pdu)
		if r.errPDU == nil || r.errPDU.Field != tc.code || r.errPDU.Version != tc.version {
			t.Errorf("%s: got %+v", tc.name, r.errPDU)
			continue
		}
		// RFC 8210 §5.11: the offending PDU is encapsulated as received
		// (for a bad length field: the header, all that was read).
		if enc := r.errPDU.ErrorPDU; !bytes.Equal(enc, tc.pdu) {
			t.Errorf("%s: encapsulated %x, want %x", tc.name, enc, tc.pdu)
		}
		if r.errPDU.ErrorText == "" {
			t.Errorf("%s: no diagnostic text", tc.name)
		}
		if _, err := c.next(); err != io.EOF {
			t.Errorf("%s: want close after the report, got %v", tc.name, err)
		}
	}
	// Coalesced and split segments: two queries in one write are two queries.
	c := dial(t, addr)
	c.send(append(AppendResetQuery(nil, 1), AppendResetQuery(nil, 1)...))
	var eods int
	for eods < 2 {
		if p := c.must(); p.Type == TypeEndOfData {
			eods++
		}
	}
	// The server survived all of that.
	if r := dial(t, addr).query(AppendResetQuery(nil, 1)); len(r.ann) != 3 {
		t.Fatalf("server broken after errors: %+v", r)
	}
	// A client Error Report, valid or malformed, closes silently (never
	// answered with one).
	for _, er := range [][]byte{AppendErrorReport(nil, 1, ErrInternal, nil, "bye"), mustHex(t, "010a0000000000100000000900000000")} {
		c = dial(t, addr)
		c.send(er)
		if p, err := c.next(); err != io.EOF {
			t.Fatalf("want silent close, got %+v %v", p.Header, err)
		}
	}
}

func TestSerialQueryAndNotify(t *testing.T) {
	s, addr := testServer(t, Config{Window: 2})
	a := set(t, setA...)
	s.Update(a, nil)
	c := dial(t, addr)
	r := c.query(AppendResetQuery(nil, 2))
	b := set(t, "192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS4200000000", "203.0.113.0/24 => AS64511")
	serial, _ := s.Update(b, nil)
	p := c.must()
	if p.Type != TypeSerialNotify || p.Serial != serial || p.Field != r.session {
		t.Fatalf("want Serial Notify for %d, got %+v", serial, p)
	}
	d := c.query(AppendSerialQuery(nil, 2, r.session, r.serial))
	if !sameSet(d.ann, set(t, "203.0.113.0/24 => AS64511")) || !sameSet(d.wd, set(t, "198.51.100.0/22-24 => AS64497")) || d.serial != serial {
		t.Fatalf("diff: %+v", d)
	}
	// Up to date: empty Cache Response + End of Data.
	if d := c.query(AppendSerialQuery(nil, 2, r.session, serial)); d.pdusAfterStart != 0 || d.serial != serial || d.errPDU != nil {
		t.Fatalf("current serial: %+v", d)
	}
	// Outside the window of 2, and from the future: Cache Reset.
	s.Update(a, nil)
	s.Update(b, nil)
	for _, from := range []uint32{r.serial, serial + 100} {
		if d := dial(t, addr).query(AppendSerialQuery(nil, 2, r.session, from)); !d.reset {
			t.Fatalf("serial %d: want Cache Reset, got %+v", from, d)
		}
	}
	st := s.Status()
	if !st.HasData || st.Serial != serial+2 || len(st.Clients) == 0 || st.VRPs != 3 {
		t.Fatalf("status %+v", st)
	}
}

func TestNotifyRateLimit(t *testing.T) {
	now := time.Unix(1700000000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, addr := testServer(t, Config{Clock: clock, NotifyInterval: 300 * time.Millisecond})
	s.Update(set(t, setA[0]), nil)
	c := dial(t, addr)
	r := c.query(AppendResetQuery(nil, 1))
	s.Update(set(t, setA[1]), nil) // notifies at once (none sent yet)
	if p := c.must(); p.Type != TypeSerialNotify || p.Serial != r.serial+1 {
		t.Fatalf("first notify %+v", p)
	}
	start := time.Now()
	s.Update(set(t, setA[2]), nil) // within the interval: deferred
	s.Update(set(t, setA...), nil) // coalesced into the same deferred notify
	p := c.must()
	if el := time.Since(start); p.Type != TypeSerialNotify || p.Serial != r.serial+3 || el < 250*time.Millisecond {
		t.Fatalf("deferred notify %+v after %v", p.Header, el)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	if _, err := ReadRaw(c.conn, nil, 64); !errors.Is(err, errTimeout(err)) {
		t.Fatalf("want no further notify, got %v", err)
	}
}

func errTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return errors.New("not a timeout")
}

// TestErrorReportSurvivesPendingInput: a router that keeps sending after a
// fatal PDU must still receive the complete Error Report, then a clean close
// (FIN, not a reset that would discard the report), without a long wait.
func TestErrorReportSurvivesPendingInput(t *testing.T) {
	s, addr := testServer(t, Config{})
	s.Update(set(t, setA...), nil)
	for _, tc := range []struct {
		name string
		bad  []byte
		code uint16
	}{
		{"wrong session", AppendSerialQuery(nil, 1, s.Sessions()[1]+1, 1), ErrCorruptData},
		{"unknown type", mustHex(t, "0105000000000008"), ErrUnsupportedPDU},
	} {
		c := dial(t, addr)
		var trailing []byte
		for range 32 << 10 {
			trailing = AppendResetQuery(trailing, 1) // 256 KiB more than the socket buffers hold
		}
		go func() { _, _ = c.conn.Write(append(slices.Clone(tc.bad), trailing...)) }()
		start := time.Now()
		p := c.must()
		if p.Type != TypeErrorReport || p.Field != tc.code || !bytes.Equal(p.ErrorPDU, tc.bad) {
			t.Fatalf("%s: got %+v (encapsulated %x)", tc.name, p.Header, p.ErrorPDU)
		}
		if _, err := c.next(); err != io.EOF {
			t.Fatalf("%s: want EOF after the report, got %v", tc.name, err)
		}
		if el := time.Since(start); el > 2500*time.Millisecond {
			t.Fatalf("%s: close took %v", tc.name, el)
		}
		// A router closes after a fatal error; the server side is gone
		// then too (its reader drained the input instead of blocking).
		c.conn.Close()
		for end := time.Now().Add(time.Second); len(s.Status().Clients) > 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: server still holds the connection", tc.name)
			}
		}
	}
}

// TestFirstSetEmpty: an empty but valid first set is data (End of Data with
// no records), not "No Data Available", in every version.
func TestFirstSetEmpty(t *testing.T) {
	s, addr := testServer(t, Config{})
	serial, changed := s.Update(nil, nil)
	if !changed {
		t.Fatal("the first (empty) set must create a generation")
	}
	for v := uint8(0); v <= 2; v++ {
		r := dial(t, addr).query(AppendResetQuery(nil, v))
		if r.errPDU != nil || r.pdusAfterStart != 0 || len(r.aAnn) != 0 || r.eod.Type != TypeEndOfData || r.serial != serial {
			t.Fatalf("v%d: %+v", v, r)
		}
	}
	if st := s.Status(); !st.HasData || st.VRPs != 0 {
		t.Fatalf("status %+v", st)
	}
}

// TestNoNotifyBeforeNegotiation: RFC 8210 §7 — a connected router that has
// not sent a query yet gets no Serial Notify; after its first query it does.
func TestNoNotifyBeforeNegotiation(t *testing.T) {
	s, addr := testServer(t, Config{})
	s.Update(set(t, setA[0]), nil)
	c := dial(t, addr)
	eventuallyClients(t, s, 1)
	s.Update(set(t, setA[1]), nil)
	_ = c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := ReadRaw(c.conn, nil, 64); !errors.Is(err, errTimeout(err)) {
		t.Fatalf("want nothing before the first query, got %v", err)
	}
	r := c.query(AppendResetQuery(nil, 0))
	serial, _ := s.Update(set(t, setA[2]), nil)
	if p := c.must(); p.Type != TypeSerialNotify || p.Version != 0 || p.Field != r.session || p.Serial != serial {
		t.Fatalf("want a v0 Serial Notify for %d, got %+v", serial, p)
	}
}

func eventuallyClients(t *testing.T, s *Server, n int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if len(s.Status().Clients) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d clients connected", n)
}
