package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/roadrpki/road/internal/atomicfile"
	"github.com/roadrpki/road/internal/datadir"
)

// EnsureToken returns the admin bearer token kept in path, creating a
// random one (mode 0600) when the file is missing or empty. A file others
// may read or write is refused (the error names the chmod that fixes it).
func EnsureToken(path string) (string, error) {
	if err := datadir.CheckSecret(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	t := hex.EncodeToString(raw)
	if err := atomicfile.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return t, nil
}
