package bgp

import (
	"context"
	"log/slog"

	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
)

// gobgpLogger routes gobgp's logging to slog (gobgp would otherwise write
// to stderr through logrus).
type gobgpLogger struct{ l *slog.Logger }

func (g *gobgpLogger) log(level slog.Level, msg string, fields gobgplog.Fields) {
	if !g.l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(fields)+1)
	attrs = append(attrs, slog.String("component", "gobgp"))
	for k, v := range fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	g.l.LogAttrs(context.Background(), level, msg, attrs...)
}

func (g *gobgpLogger) Panic(msg string, f gobgplog.Fields) { g.log(slog.LevelError, msg, f) }
func (g *gobgpLogger) Fatal(msg string, f gobgplog.Fields) { g.log(slog.LevelError, msg, f) }
func (g *gobgpLogger) Error(msg string, f gobgplog.Fields) { g.log(slog.LevelError, msg, f) }
func (g *gobgpLogger) Warn(msg string, f gobgplog.Fields)  { g.log(slog.LevelWarn, msg, f) }
func (g *gobgpLogger) Info(msg string, f gobgplog.Fields)  { g.log(slog.LevelInfo, msg, f) }
func (g *gobgpLogger) Debug(msg string, f gobgplog.Fields) { g.log(slog.LevelDebug, msg, f) }
func (g *gobgpLogger) SetLevel(gobgplog.LogLevel)          {}
func (g *gobgpLogger) GetLevel() gobgplog.LogLevel {
	if g.l.Enabled(context.Background(), slog.LevelDebug) {
		return gobgplog.DebugLevel
	}
	return gobgplog.InfoLevel
}
