package archtest

// with returns extra plus what every room above the codecs may use: the VRP
// and route types, the DER codecs, the atomic file writer and the domain
// error shape (fault).
func with(extra ...string) []string {
	return append(extra, "internal/vrp", "internal/route", "internal/rpki", "internal/atomicfile", "internal/fault")
}

// Table is the architecture: the data flow of DESIGN.md, proposal →
// conflict, store, ca → publish → rp → rtr, with the codecs and types at the
// bottom. Changing it is changing the design; say why in the commit.
func Table() Rules {
	r := Rules{
		Allowed: map[string][]string{
			// Codecs and types: they import nothing above them.
			"internal/vrp":        {},
			"internal/route":      {},
			"internal/atomicfile": {},
			"internal/fault":      {},
			"internal/config":     {},
			"internal/buildinfo":  {}, // the binary's recorded build, for the version commands
			"internal/manpage":    {}, // roff from the --help texts (docs/man, made by cmd tests)
			"internal/rpki":       {"internal/vrp"},
			"internal/vrpjson":    {"internal/vrp"},
			"internal/rrdp":       {"internal/atomicfile"},
			"internal/slurm":      {"internal/vrp"},
			"internal/tlsca":      {"internal/atomicfile"},
			// RFC 6492 up-down XML and the RFC 6492/8181 CMS wrapper.
			"internal/updown": {"internal/rpki", "internal/fault"},
			// The bounded, DTD-free XML reader of the protocol codecs, and the
			// codecs of RFC 8183 (out-of-band setup) and RFC 8181 (publication).
			"internal/xmltree":  {},
			"internal/oob":      {"internal/xmltree"},
			"internal/pubproto": {"internal/xmltree"},
			// File modes of the data directory, the database and the keys.
			"internal/datadir": {},
			// Make-before-break: a hosted CA's VRP export against road's ROAs.
			"internal/migrate": {"internal/vrp", "internal/vrpjson"},
			// CA and identity keys: software (PKCS#8) or in a PKCS#11 token.
			"internal/signer": {"internal/rpki", "internal/datadir"},

			// The rooms, in the order of the data flow.
			"internal/store":    with(),
			"internal/expiry":   with(),
			"internal/bgp":      with(),
			"internal/conflict": with(),
			"internal/ca":       with("internal/store", "internal/signer"),
			"internal/publish":  with("internal/rrdp"),
			"internal/rp":       with("internal/rrdp", "internal/vrpjson"),
			"internal/rtr":      with("internal/vrpjson"),

			// The blast radius of a VRP change and the fallbacks of the
			// holder's routes: pure, like conflict.
			"internal/impact": with(),
			"internal/waves":  with("internal/rtr", "internal/impact", "internal/config"),
			// The pre-publication gate and the publication invariants: the
			// staged tree (publish) through the bundled RP (rp).
			"internal/gate": with("internal/publish", "internal/rp", "internal/vrpjson", "internal/store", "internal/config", "internal/audit"),
			// The router-facing RP runner: rp's results, SLURM, to RTR's view.
			"internal/rprun": with("internal/rp", "internal/slurm"),
			// road as an RFC 6492 parent and an RFC 8181 publication server.
			"internal/updownsrv": with("internal/store", "internal/ca", "internal/updown", "internal/oob"),
			"internal/pubsrv":    with("internal/store", "internal/updown", "internal/pubproto", "internal/oob", "internal/publish"),
			// Both, with road's identity and service URL, as the API and the daemon see them.
			"internal/parent": with("internal/config", "internal/store", "internal/ca", "internal/identity", "internal/updownsrv", "internal/pubsrv",
				"internal/gate", "internal/signer", "internal/oob", "internal/updown"),
			// The domain rooms know nothing of REST: api converts their types.
			"internal/liveroutes": with("internal/bgp", "internal/store"),
			// road's BPKI identity (RFC 8183 §5.1), which signs the RFC 6492 and
			// RFC 8181 messages.
			"internal/identity": with("internal/store", "internal/oob", "internal/updown", "internal/signer"),
			// road as a delegated CA: the RFC 6492 client, the RFC 8181 client,
			// and the service that polls parents and repositories and feeds the CA.
			"internal/updowncli":  with("internal/updown"),
			"internal/pubcli":     with("internal/updown", "internal/updowncli", "internal/pubproto"),
			"internal/delegation": with("internal/config", "internal/ca", "internal/store", "internal/identity", "internal/oob", "internal/updown", "internal/updowncli", "internal/pubcli", "internal/signer"),
			// Named API tokens and their roles.
			"internal/access":   with("internal/store"),
			"internal/proposal": with("internal/conflict", "internal/store", "internal/ca", "internal/impact"),
			"internal/audit":    with("internal/expiry", "internal/conflict", "internal/store", "internal/ca", "internal/rp", "internal/impact"),
			// api is the transport: it may know the domain, never the other way.
			"internal/api": with("internal/proposal", "internal/audit", "internal/conflict", "internal/expiry", "internal/impact",
				"internal/liveroutes", "internal/vrpjson", "internal/rtr", "internal/access", "internal/datadir", "internal/health", "internal/waves", "internal/delegation",
				"internal/updownsrv", "internal/pubsrv"),
			// Is road alive, does it do its job: checks of the running parts.
			"internal/health": with("internal/store", "internal/rprun"),
			// The network edge: binds road's listeners, then serves them bounded.
			"internal/listen": with("internal/config", "internal/rtr", "internal/tlsca"),
			// daemon is the wiring: it builds every part.
			"internal/daemon": with("internal/delegation", "internal/access", "internal/datadir", "internal/api", "internal/audit", "internal/bgp", "internal/ca", "internal/config",
				"internal/conflict", "internal/expiry", "internal/gate", "internal/health", "internal/listen", "internal/liveroutes", "internal/proposal", "internal/publish",
				"internal/rp", "internal/rprun", "internal/rrdp", "internal/rtr", "internal/signer", "internal/slurm", "internal/store", "internal/tlsca",
				"internal/vrpjson", "internal/waves", "internal/parent"),

			// Test harness and checks: no production code imports them.
			"internal/testpeers":  with("internal/vrpjson", "internal/testshared"),
			"internal/testshared": {}, // finds ../shared for tests; imports nothing of the project
			"internal/e2e":        with(),
			"internal/archtest":   {},
		},
		TestAllowed: map[string][]string{
			// The RP's tests validate what the real CA and publisher produce,
			// and the running daemon's publication.
			"internal/rp": {"internal/ca", "internal/publish", "internal/store", "internal/api", "internal/daemon",
				"internal/config"},
			"internal/rtr": {"internal/slurm"},
			// proposal's tests poll an external VRP JSON with the real follower.
			"internal/proposal": {"internal/rtr"},
			// The gate's tests stage what the real CA signs.
			"internal/gate": {"internal/ca"},
			// impact's tests measure against the real 2010 table in a bgp.Table.
			"internal/impact": {"internal/bgp"},
			"internal/waves":  {"internal/bgp"},
			// health's tests judge real relying party results.
			"internal/health": {"internal/rp"},
			// api's role tests authenticate against real tokens in SQLite.
			"internal/api": {"internal/store"},
			// delegation's tests run the child against road's real RFC 6492
			// parent and RFC 8181 server.
			"internal/delegation": {"internal/updownsrv", "internal/pubsrv"},
			"internal/e2e": {"internal/api", "internal/bgp", "internal/ca", "internal/daemon", "internal/tlsca", "internal/signer",
				"internal/liveroutes", "internal/proposal", "internal/audit", "internal/config",
				"internal/updown", "internal/pubproto", "internal/oob"},
		},
		Free: []string{"cmd/road", "cmd/roactl", "scripts/gentree"}, // gentree: a benchmark tool, not part of road
	}
	// Every test may use the test harness and the shared folder.
	for p := range r.Allowed {
		if p != "internal/testpeers" && p != "internal/testshared" {
			r.TestAllowed[p] = append(r.TestAllowed[p], "internal/testpeers")
		}
		if p != "internal/testshared" {
			r.TestAllowed[p] = append(r.TestAllowed[p], "internal/testshared")
		}
	}
	return r
}
