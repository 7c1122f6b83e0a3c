package store

import "fmt"

// CANames lists the names of the CA instances starting with prefix, in
// name order (the CA instances of further resource classes, "ca:...").
func (t *Tx) CANames(prefix string) ([]string, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT name FROM cas WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name`, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: ca names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: ca names: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
