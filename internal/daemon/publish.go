package daemon

import (
	"context"
	"fmt"

	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/store"
)

// publish makes the publication equal to what the store holds. It is called
// after every committed change, by the renewal loop and at start, so a crash
// between commit and publication heals on the next call.
func (d *Daemon) publish(ctx context.Context) error {
	d.publishMu.Lock()
	defer d.publishMu.Unlock()
	var objs []store.Object
	if err := d.st.View(ctx, func(tx *store.Tx) error {
		var err error
		objs, err = tx.PublicationObjectsVia(&d.pubCache) // road's own and its publishers' objects
		return err
	}); err != nil {
		return err
	}
	pobjs := make([]publish.Object, 0, len(objs))
	objs = d.deleg.Local(objs) // the CA's objects in a remote repository go there (internal/delegation)
	for _, o := range objs {
		pobjs = append(pobjs, publish.Object{URI: o.URI, Data: o.DER, Time: o.SigningTime})
	}
	res, err := d.pub.Publish(ctx, pobjs)
	if err != nil {
		d.metrics.errors.WithLabelValues("publish").Inc()
		return fmt.Errorf("publish: %w", err)
	}
	if err := d.recordPublication(ctx, res); err != nil {
		return err
	}
	d.metrics.serial.Set(float64(res.Serial))
	d.metrics.objects.Set(float64(len(pobjs)))
	if res.Changed {
		d.rp.Kick() // the bundled RP re-validates what is now live
		d.lastChange = d.clock()
		d.log.Info("published", "session", res.Session, "serial", res.Serial, "added", res.Added,
			"replaced", res.Replaced, "withdrawn", res.Withdrawn)
	}
	return nil
}

// recordedPublication is the RRDP state the database last recorded; the
// publisher refuses to continue a session whose files are behind it.
func (d *Daemon) recordedPublication(ctx context.Context) (publish.State, error) {
	var f publish.State
	err := d.st.View(ctx, func(tx *store.Tx) error {
		var err error
		f.Session, f.Serial, err = tx.Publication()
		return err
	})
	return f, err
}

// recordPublication stores the live RRDP session and serial in the database
// (after the files are live: a crash in between leaves the record behind the
// files, which is safe; never ahead of them).
func (d *Daemon) recordPublication(ctx context.Context, res publish.Result) error {
	if res.Session == d.recorded.Session && res.Serial == d.recorded.Serial {
		return nil
	}
	err := d.st.Update(ctx, func(tx *store.Tx) error { return tx.SetPublication(res.Session, res.Serial) })
	if err != nil {
		return fmt.Errorf("record publication: %w", err)
	}
	d.recorded = publish.State{Session: res.Session, Serial: res.Serial}
	return nil
}
