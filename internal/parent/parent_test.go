package parent

import (
	"testing"

	"github.com/roadrpki/road/internal/config"
)

func TestServiceBase(t *testing.T) {
	for _, c := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{HTTP: "127.0.0.1:8080", HTTPS: "127.0.0.1:8443", HTTPServer: config.HTTPServer{TLS: "off"}}, "http://127.0.0.1:8080/"},
		{config.Config{HTTP: "[::1]:8080", HTTPServer: config.HTTPServer{TLS: "testbed"}}, "https://[::1]:8080/"},
		{config.Config{HTTP: ":8080"}, "http://127.0.0.1:8080/"},
		{config.Config{HTTPS: "0.0.0.0:8443"}, "https://127.0.0.1:8443/"},
		{config.Config{HTTP: "127.0.0.1:8080", ServiceURL: "https://road.example.net/x/"}, "https://road.example.net/x/"},
	} {
		if got := ServiceBase(&c.cfg); got != c.want {
			t.Errorf("%+v: %s, want %s", c.cfg, got, c.want)
		}
	}
}
