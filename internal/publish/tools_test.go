package publish

import (
	"os"
	"os/exec"
	"testing"
)

// lookTool finds an external program; missing is a skip, except in CI.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (required when CI=true)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

func runTool(path string, args ...string) ([]byte, error) {
	return exec.Command(path, args...).CombinedOutput()
}
