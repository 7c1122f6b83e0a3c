package publish

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func addGoldenSeeds(f *testing.F) {
	for _, name := range []string{"notification-1.xml", "notification-2.xml", "snapshot-1.xml", "snapshot-2.xml", "delta-2.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<!DOCTYPE notification [<!ENTITY x "y">]><notification/>`))
	f.Add([]byte(`<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="00000000-0000-4000-8000-000000000000" serial="1"><snapshot uri="a" hash="` +
		"AB000000000000000000000000000000000000000000000000000000000000cd" + `"/></notification>`))
}

// FuzzParseNotification: no panics, and whatever parses re-renders to a
// file that parses to the same value.
func FuzzParseNotification(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseNotification(data)
		if err != nil {
			return
		}
		ds := make([]deltaRef, len(n.Deltas))
		for i, d := range n.Deltas {
			ds[i] = deltaRef{Serial: d.Serial, fileRef: d.fileRef}
		}
		n2, err := parseNotification(notificationXML(n.Session, n.Serial, n.Snapshot, ds))
		if err != nil {
			t.Fatalf("re-rendered notification does not parse: %v", err)
		}
		if !reflect.DeepEqual(n, n2) {
			t.Fatalf("round trip: %+v != %+v", n, n2)
		}
	})
}

func FuzzParseSnapshot(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		session, serial, objs, err := parseSnapshot(data)
		if err != nil {
			return
		}
		m := map[string][]byte{}
		var uris []string
		for _, o := range objs {
			m[o.URI] = o.Data
			uris = append(uris, o.URI)
		}
		s2, serial2, objs2, err := parseSnapshot(snapshotXML(session, serial, uris, func(u string) []byte { return m[u] }))
		if err != nil || s2 != session || serial2 != serial || len(objs2) != len(objs) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range objs {
			if objs[i].URI != objs2[i].URI || !bytes.Equal(objs[i].Data, objs2[i].Data) {
				t.Fatalf("round trip changed %q", objs[i].URI)
			}
		}
	})
}

func FuzzParseDelta(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		session, serial, es, err := parseDelta(data)
		if err != nil {
			return
		}
		cs := make([]change, len(es))
		for i, e := range es {
			cs[i] = change{URI: e.URI, Withdraw: e.Withdraw, Data: e.Data, PrevHash: e.Hash}
		}
		s2, serial2, es2, err := parseDelta(deltaXML(session, serial, cs))
		if err != nil || s2 != session || serial2 != serial || len(es2) != len(es) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range es {
			if es[i].URI != es2[i].URI || es[i].Hash != es2[i].Hash || es[i].Withdraw != es2[i].Withdraw || !bytes.Equal(es[i].Data, es2[i].Data) {
				t.Fatalf("round trip changed %+v into %+v", es[i], es2[i])
			}
		}
	})
}
