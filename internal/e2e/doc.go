// Package e2e holds road's end-to-end tests: the daemon on loopback ports,
// its publication validated by independent relying parties from Debian
// (rpki-client, FORT) over RRDP and rsync, and crash recovery of the real
// binary. It has no non-test code.
package e2e
