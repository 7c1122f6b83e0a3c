// Package testpeers drives the real Debian RPKI and BGP tools on loopback for
// interop tests: relying parties (rpki-client 8.2, FORT 1.5), an rsync
// daemon, an RTR cache (stayrtr), RTR clients (rtrdump, rtrlib's rtrclient,
// BIRD 2, gobgpd) and a BGP announcer (ExaBGP 4.2).
//
// It is a normal package so other packages' _test files can import it:
//
//	func TestPublicationWithRPs(t *testing.T) {
//		testpeers.Require(t, "rpki-client", "fort", "rsync")
//		port := testpeers.StartRsyncd(t, pubDir, "repo") // rsync://127.0.0.1:PORT/repo/
//		rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, RsyncOnly: true,
//			Hosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
//		fort := testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, RsyncOnly: true})
//		// compare rc.VRPs and fort.VRPs (sorted, unique) with the expected []vrp.VRP
//	}
//
//	func TestRTRInterop(t *testing.T) {
//		s := testpeers.StartBIRDRTR(t, "127.0.0.1", ourRTRPort)
//		if err := s.WaitFor(ctx, want); err != nil { t.Fatal(err) } // also after updates
//	}
//
// Rules the helpers keep:
//   - Require skips a test when a tool is missing, but fails it when CI=true.
//   - Everything listens on and connects to 127.0.0.1 / ::1 only; TALs whose
//     URIs leave the machine and non-loopback peers are refused (rpki-client
//     without -t would read the real RIR TALs in /etc/tals: it is always given -t).
//   - Every started process runs in its own process group, killed in
//     t.Cleanup (Close/Close-like methods may be called earlier, repeatedly).
//   - Outputs are parsed strictly: an unexpected line is an error wrapping
//     ErrParse, never an empty table. Errors wrap ErrTimeout, ErrParse,
//     ErrFailed or ErrNoMatch.
//
// Tool facts the helpers encode (tested on Debian 12):
//   - rpki-client started as root drops to _rpki-client: its TAL, cache and
//     output live in 0755 directories under /tmp owned by that user (use
//     RPKIClientDir for a persistent cache). It trusts a test TLS CA only via
//     SSL_CERT_FILE (RPKIClientOptions.TLSCAFile); its exit code is 0 even when
//     nothing validated. RRDP must be https://.
//   - FORT trusts a test CA via --http.ca-path (a rehashed directory; a PEM
//     file given in FortOptions.TLSCAFile is rehashed for it) and exits 22 with
//     an empty output file when a TAL fails (RPResult.VRPs is then nil).
//   - RTR versions: rtrdump 0/1/2 (2 against a v0/v1-only cache ends EMPTY);
//     rtrclient and BIRD v1 falling back to v0; gobgpd v0 only.
//   - rtrlib's export templates print ASNs >= 2^31 as negative int32: the
//     parsers add 2^32 (the streaming output used here prints them unsigned).
//   - ExaBGP rejects IPv6 routes in the static config of an IPv4 neighbor, so
//     routes go through its process API (a FIFO read by cat). NEXT_HOP is
//     192.0.2.1 / 2001:db8::1 because gobgpd refuses a loopback next hop.
//     A speaker that accepts TCP before its neighbor is configured makes
//     ExaBGP retry only after seconds: start it fully first.
package testpeers
