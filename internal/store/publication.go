package store

import (
	"fmt"
	"strconv"
)

// Keys of the meta table that record the live RRDP session and serial.
const (
	metaRRDPSession = "rrdp_session"
	metaRRDPSerial  = "rrdp_serial"
)

// Publication is the RRDP session and serial last recorded as live ("", 0:
// none yet).
func (t *Tx) Publication() (session string, serial uint64, err error) {
	s, err := t.Meta(metaRRDPSession)
	if err != nil {
		return "", 0, err
	}
	n, err := t.Meta(metaRRDPSerial)
	if err != nil || s == "" || n == "" {
		return "", 0, err
	}
	serial, err = strconv.ParseUint(n, 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("database: %s %q: %w", metaRRDPSerial, n, err)
	}
	return s, serial, nil
}

// SetPublication records the live RRDP session and serial.
func (t *Tx) SetPublication(session string, serial uint64) error {
	if err := t.SetMeta(metaRRDPSession, session); err != nil {
		return err
	}
	return t.SetMeta(metaRRDPSerial, strconv.FormatUint(serial, 10))
}
