package api

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestLimitedBody(t *testing.T) {
	for _, c := range []struct {
		body  string
		limit int64
		want  string
		large bool
	}{
		{"abcdef", 6, "abcdef", false}, // exactly the bound
		{"abcdef", 10, "abcdef", false},
		{"abcdefg", 6, "abcdef", true},
		{"", 0, "", false},
	} {
		lb := &limitedBody{r: strings.NewReader(c.body), left: c.limit}
		got, err := io.ReadAll(lb)
		isLarge := err != nil && err != io.EOF && statusError(err).Status == http.StatusRequestEntityTooLarge &&
			statusError(err).Code == CodeTooLarge
		if string(got) != c.want || isLarge != c.large || (err != nil && !isLarge) {
			t.Errorf("%q limit %d: read %q, err %v", c.body, c.limit, got, err)
		}
	}
}
