package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestObjectExpiriesAndHeartbeat(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutCA(&CA{Name: "ca", KeyDER: []byte{1}, CertDER: []byte{2}, CertURI: "rsync://h/r/ca.cer", RepoURI: "rsync://h/r/ca/",
			NextSerial: 1, UpdatedAt: now}); err != nil {
			return err
		}
		for i, kind := range []string{"roa", "mft", "crl", "cer"} {
			o := &Object{URI: fmt.Sprintf("rsync://h/r/ca/%d.%s", i, kind), CA: "ca", Kind: kind, DER: []byte{byte(i)},
				NotAfter: now.Add(time.Duration(i) * time.Hour), SigningTime: now, UpdatedAt: now}
			if err := tx.PutObject(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all, points []ObjectExpiry
	if err := s.View(ctx, func(tx *Tx) error {
		if all, err = tx.ObjectExpiries(); err != nil {
			return err
		}
		points, err = tx.ObjectExpiries("mft", "crl")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(all), fmt.Sprintf("[{rsync://h/r/ca/0.roa ca roa %v} {rsync://h/r/ca/1.mft ca mft %v} {rsync://h/r/ca/2.crl ca crl %v} {rsync://h/r/ca/3.cer ca cer %v}]",
		now, now.Add(time.Hour), now.Add(2*time.Hour), now.Add(3*time.Hour)); got != want {
		t.Fatalf("all:\n got %s\nwant %s", got, want)
	}
	if len(points) != 2 || points[0].Kind != "mft" || points[1].Kind != "crl" {
		t.Fatalf("mft and crl: %+v", points)
	}

	at := now.Add(90 * time.Second)
	if err := s.Heartbeat(ctx, at); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.View(ctx, func(tx *Tx) error { got, err = tx.Meta(MetaHeartbeat); return err }); err != nil {
		t.Fatal(err)
	}
	if got != "2026-11-22T10:01:30Z" {
		t.Fatalf("heartbeat %q", got)
	}
}
