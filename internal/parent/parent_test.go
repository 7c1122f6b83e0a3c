package parent

import (
	"context"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
	"path/filepath"
	"testing"

	"github.com/roadrpki/road/internal/config"
)

func TestServiceBase(t *testing.T) {
	for _, c := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{HTTP: "127.0.0.1:8080", HTTPS: "127.0.0.1:8443", HTTPServer: config.HTTPServer{TLS: "off"}}, "http://127.0.0.1:8080/"},
		{config.Config{HTTP: "[::1]:8080", HTTPServer: config.HTTPServer{TLS: "testbed"}}, "https://[::1]:8080/"},
		{config.Config{HTTP: ":8080"}, "http://127.0.0.1:8080/"},
		{config.Config{HTTPS: "0.0.0.0:8443"}, "https://127.0.0.1:8443/"},
		{config.Config{HTTP: "127.0.0.1:8080", ServiceURL: "https://road.example.net/x/"}, "https://road.example.net/x/"},
	} {
		if got := ServiceBase(&c.cfg); got != c.want {
			t.Errorf("%+v: %s, want %s", c.cfg, got, c.want)
		}
	}
}

// TestDelegated: the publishers' spaces are delegated; a nil Service adds
// nothing to road's own VRPs.
func TestDelegated(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutPublisher(&store.Publisher{Name: "B", IDCert: []byte{1}, SIABase: "rsync://h/repo/B/"}); err != nil {
			return err
		}
		return tx.PutPublished(&store.PublishedObject{URI: "rsync://h/repo/B/x.roa", Publisher: "B", DER: []byte("not a ROA"), Hash: "00"})
	}); err != nil {
		t.Fatal(err)
	}
	d, err := (&Service{store: st}).Delegated(ctx)
	if err != nil || len(d.Spaces) != 1 || d.Spaces[0] != "rsync://h/repo/B/" || len(d.VRPs) != 0 {
		t.Fatalf("%v %+v", err, d)
	}
	own := func(context.Context) (vrp.Set, error) { return vrp.ParseSet("192.0.2.0/24 => AS1") }
	if got, err := (*Service)(nil).WithDelegated(ctx, own); err != nil || len(got) != 1 {
		t.Fatalf("nil service: %v %v", got, err)
	}
	if got, err := (&Service{store: st}).WithDelegated(ctx, own); err != nil || len(got) != 1 {
		t.Fatalf("with a publisher of no ROA: %v %v", got, err)
	}
}
