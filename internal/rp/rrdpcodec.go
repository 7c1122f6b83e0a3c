package rp

import (
	"errors"
	"io"

	"github.com/roadrpki/road/internal/rrdp"
)

// The RRDP files are decoded by internal/rrdp; these names keep the
// client's code short.
type (
	notification = rrdp.Notification
	fileRef      = rrdp.FileRef
	deltaRef     = rrdp.DeltaRef
	rrdpElement  = rrdp.Element
	rrdpHeader   = rrdp.Header
)

// rrdpReject gives a codec error its reason code; errors that already are
// rejections (a size bound of the reader, the callback's) pass unchanged.
func rrdpReject(err error) error {
	var re *RejectError
	var ce *rrdp.Error
	switch {
	case err == nil || errors.As(err, &re):
		return err
	case errors.As(err, &ce) && ce.Code == rrdp.ErrTooLarge:
		return &RejectError{Reason: ReasonTooLarge, Err: errors.New(ce.Detail)}
	case errors.As(err, &ce):
		return &RejectError{Reason: ReasonRRDPMalformed, Err: errors.New(ce.Detail)}
	}
	return err
}

func parseNotification(r io.Reader, maxDeltas int) (*notification, error) {
	n, err := rrdp.ParseNotification(r, rrdp.Limits{MaxURI: maxURILength, MaxDeltas: maxDeltas})
	if err != nil {
		return nil, rrdpReject(err)
	}
	n.SortDeltas() // deltasContinue searches by serial
	return n, nil
}

func parseSnapshot(r io.Reader, maxObject, maxElems int, fn func(rrdpElement) error) (rrdpHeader, error) {
	h, err := rrdp.ParseSnapshot(r, rrdp.Limits{MaxURI: maxURILength, MaxObject: maxObject, MaxElements: maxElems}, fn)
	return h, rrdpReject(err)
}

func parseDelta(r io.Reader, maxObject, maxElems int, fn func(rrdpElement) error) (rrdpHeader, error) {
	h, err := rrdp.ParseDelta(r, rrdp.Limits{MaxURI: maxURILength, MaxObject: maxObject, MaxElements: maxElems}, fn)
	return h, rrdpReject(err)
}
