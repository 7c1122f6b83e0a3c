package config

import "testing"

// TestRRDPBaseFollowsHTTPS: an RRDP base not set in the file or on the
// command line is the HTTPS listener's, so road's own relying party
// fetches from the port road serves; one that is set stays.
func TestRRDPBaseFollowsHTTPS(t *testing.T) {
	file := writeFile(t, "https = \"127.0.0.1:7443\"\n")
	fileBase := writeFile(t, "rrdp_base = \"https://rpki.example.net/rrdp/\"\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "https://127.0.0.1:8443/rrdp/"},
		{[]string{"--https", "127.0.0.1:9443"}, "https://127.0.0.1:9443/rrdp/"},
		{[]string{"--https", "[::1]:9443"}, "https://[::1]:9443/rrdp/"},
		{[]string{"--https", "rpki.example.net:443"}, "https://rpki.example.net:443/rrdp/"},
		{[]string{"--https", "0.0.0.0:9443"}, "https://127.0.0.1:8443/rrdp/"},
		{[]string{"--https", "[::]:9443"}, "https://127.0.0.1:8443/rrdp/"},
		{[]string{"--https", ":9443"}, "https://127.0.0.1:8443/rrdp/"},
		{[]string{"--https", ""}, "https://127.0.0.1:8443/rrdp/"},
		{[]string{"--https", "127.0.0.1:9443", "--rrdp-base", "https://rpki.example.net/rrdp/"}, "https://rpki.example.net/rrdp/"},
		{[]string{"--https", "127.0.0.1:9443", "--rrdp-base", ""}, "https://127.0.0.1:9443/rrdp/"},
		{[]string{"--config", file}, "https://127.0.0.1:7443/rrdp/"},
		{[]string{"--config", file, "--https", "127.0.0.2:9443"}, "https://127.0.0.2:9443/rrdp/"},
		{[]string{"--config", fileBase, "--https", "127.0.0.1:9443"}, "https://rpki.example.net/rrdp/"},
	} {
		c, err := Parse(tc.args, env(nil))
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if c.RRDPBase != tc.want {
			t.Errorf("%q: rrdp base %q, want %q", tc.args, c.RRDPBase, tc.want)
		}
	}
	if got := Default().RRDPBase; got != "https://127.0.0.1:8443/rrdp/" {
		t.Errorf("Default: %q", got)
	}
}
