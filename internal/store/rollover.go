package store

import "fmt"

// RenameCA gives the CA instance from the name to, with its objects and
// revoked certificates (a key roll turns the NEW CA into the current one,
// RFC 6489 §2 step 5). to must not exist.
func (t *Tx) RenameCA(from, to string) error {
	steps := []struct{ q string }{
		{`INSERT INTO cas(name, key_der, cert_der, cert_uri, repo_uri, next_serial, manifest_number, crl_number,
			last_this_update, mft_next_update, updated_at) SELECT ?2, key_der, cert_der, cert_uri, repo_uri,
			next_serial, manifest_number, crl_number, last_this_update, mft_next_update, updated_at FROM cas WHERE name = ?1`},
		{`UPDATE objects SET ca = ?2 WHERE ca = ?1`},
		{`UPDATE revoked SET ca = ?2 WHERE ca = ?1`},
		{`DELETE FROM cas WHERE name = ?1`},
	}
	for _, s := range steps {
		if _, err := t.exec(s.q, from, to); err != nil {
			return fmt.Errorf("store: rename ca %q to %q: %w", from, to, err)
		}
	}
	return nil
}

// DeleteCA forgets a CA instance with its objects and revoked list (the
// OLD CA once its certificate is revoked, RFC 6489 §2 step 6).
func (t *Tx) DeleteCA(name string) error {
	for _, q := range []string{`DELETE FROM objects WHERE ca = ?`, `DELETE FROM revoked WHERE ca = ?`, `DELETE FROM cas WHERE name = ?`} {
		if _, err := t.exec(q, name); err != nil {
			return fmt.Errorf("store: delete ca %q: %w", name, err)
		}
	}
	return nil
}
