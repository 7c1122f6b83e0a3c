package config

import "errors"

// HSM selects the PKCS#11 token that holds the CA and identity keys ([hsm]);
// all empty keeps them in software, in the database.
type HSM struct {
	Module     string // PKCS#11 module (.so)
	TokenLabel string // the token's label
	PINFile    string // file with the user PIN, mode 0600
}

// checkHSM: the three [hsm] keys are given together or not at all.
func checkHSM(c *Config) error {
	h := c.HSM
	if h == (HSM{}) || (h.Module != "" && h.TokenLabel != "" && h.PINFile != "") {
		return nil
	}
	return errors.New("hsm.module (--hsm-module), hsm.token_label (--hsm-token-label) and hsm.pin_file (--hsm-pin-file) must be given together")
}
