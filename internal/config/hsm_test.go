package config

import (
	"errors"
	"testing"
)

// TestHSM: [hsm] from the file, flags over it, and the three keys together.
func TestHSM(t *testing.T) {
	p := writeFile(t, "[hsm]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"road\"\npin_file = \"/etc/road/hsm.pin\"\n")
	c, err := Parse([]string{"--config", p, "--hsm-token-label", "other"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (HSM{Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "other", PINFile: "/etc/road/hsm.pin"}); c.HSM != want {
		t.Fatalf("HSM = %+v, want %+v", c.HSM, want)
	}
	if c, err = Parse(nil, env(nil)); err != nil || c.HSM != (HSM{}) {
		t.Fatalf("default HSM = %+v, %v; want software keys", c.HSM, err)
	}
	want := "usage: hsm.pin_file (--hsm-pin-file): hsm.module (--hsm-module), hsm.token_label (--hsm-token-label) and hsm.pin_file (--hsm-pin-file) must be given together"
	for _, args := range [][]string{{"--hsm-module", "m.so"}, {"--hsm-module", "m.so", "--hsm-token-label", "t"}, {"--hsm-pin-file", "p"}} {
		_, err := Parse(args, env(nil))
		if !errors.Is(err, ErrUsage) || err.Error() != want {
			t.Errorf("%v: %v\nwant %s", args, err, want)
		}
	}
}
