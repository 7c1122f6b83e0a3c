package migrate

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkWholeRIRExport reads a 500,000-line CSV export (a whole RIR's
// VRPs, of which 1,024 are the holder's) and compares it with those 1,024
// configured ROAs.
func BenchmarkWholeRIRExport(b *testing.B) {
	var csv bytes.Buffer
	csv.WriteString("ASN,IP Prefix,Max Length,Trust Anchor,Expires\n")
	for i := range 500_000 {
		fmt.Fprintf(&csv, "AS%d,%d.%d.%d.0/24,24,ripe,1767225600\n", 64496+i%1000, 10+i/65536, (i/256)%256, i%256)
	}
	held := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/14")} // 1,024 of the /24s
	e, err := ReadExport(bytes.NewReader(csv.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	road := Compare(e.VRPs, nil, held)
	var configured = road.Changes[0].Today[:0]
	for _, c := range road.Changes {
		configured = append(configured, c.Today...)
	}
	b.ResetTimer()
	for b.Loop() {
		e, err := ReadExport(bytes.NewReader(csv.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		r := Compare(e.VRPs, configured, held)
		if r.Compared != 1024 || r.Unchanged != 1024 || r.Lost != 0 {
			b.Fatalf("compared %d unchanged %d lost %d", r.Compared, r.Unchanged, r.Lost)
		}
	}
}
