// Package deps pins the project's chosen third-party modules in go.mod while
// the packages that use them are being written. Remove an import here once a
// real package imports the module.
package deps

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/osrg/gobgp/v3/pkg/server"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "golang.org/x/crypto/cryptobyte"
	_ "golang.org/x/sys/unix"
)
