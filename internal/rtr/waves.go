package rtr

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/roadrpki/road/internal/vrp"
)

// WaveGroup is one group of routers of a staged rollout (internal/waves):
// the routers whose source address is inside one of Sources, or whose TLS
// client certificate names one of CertNames (subject common name or a DNS
// subjectAltName).
type WaveGroup struct {
	Name      string
	Sources   []netip.Prefix
	CertNames []string
}

// wave is one group's view: the generation its routers are served.
// Generations form one chain (one serial sequence, one session id per
// version): a serial names the same content in every wave, so a router that
// changes group can never get a diff against another content; a wave only
// ever moves to a newer serial of that chain (RFC 8210 §5.1: serials
// strictly increase).
type wave struct {
	name string
	gen  atomic.Pointer[generation]
}

// matchWave is the index of the first group that takes a router from src
// with certificate names certs; a router no group takes goes to the last.
func matchWave(groups []WaveGroup, src netip.Addr, certs []string) int {
	for i, g := range groups {
		for _, p := range g.Sources {
			if src.IsValid() && p.Contains(src.Unmap()) {
				return i
			}
		}
		for _, n := range g.CertNames {
			if slices.Contains(certs, n) {
				return i
			}
		}
	}
	return len(groups) - 1
}

func isTLS(conn net.Conn) bool {
	_, ok := conn.(*tls.Conn)
	return ok
}

// certNames are the names a router's TLS client certificate carries.
func certNames(conn net.Conn) []string {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return nil
	}
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	leaf := cs.PeerCertificates[0]
	return append([]string{leaf.Subject.CommonName}, leaf.DNSNames...)
}

// assignWave puts c into its group once its certificate (if any) is known:
// at accept for plain TCP, at the first query for TLS (the handshake runs
// with the first read).
func (s *Server) assignWave(c *client) {
	if c.view != nil {
		return
	}
	src, _ := netip.ParseAddr(c.source)
	i := matchWave(s.cfg.Waves, src, certNames(c.conn))
	c.view = &s.waves[i].gen
	c.wave.Store(int32(i))
	s.m.waveClients.WithLabelValues(s.waves[i].name).Inc()
}

// Waves reports whether the server groups routers into waves.
func (s *Server) Waves() bool { return len(s.waves) > 0 }

// Stage builds the generation after the newest one from vrps and aspas
// without showing it to any router (waves only; Show does) and returns its
// serial. A set equal to the newest one keeps its serial.
func (s *Server) Stage(vrps vrp.Set, aspas []vrp.ASPA) uint32 {
	vrps, aspas = Clean(vrps, aspas)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _ := s.stageLocked(vrps, aspas)
	return g.serial
}

// Show serves generation serial (built by Stage or Update and still kept)
// to wave w's routers and notifies them. A wave never goes back: serial must
// be newer than the wave's (RFC 8210 §5.1), or equal (no-op).
func (s *Server) Show(w int, serial uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w < 0 || w >= len(s.waves) {
		return fmt.Errorf("rtr: no wave %d", w)
	}
	g := s.kept[serial]
	if g == nil {
		return fmt.Errorf("rtr: serial %d is not kept", serial)
	}
	cur := s.waves[w].gen.Load()
	if cur != nil && cur.serial == serial {
		return nil
	}
	if cur != nil && !serialLess(cur.serial, serial) {
		return fmt.Errorf("rtr: wave %s is at serial %d; %d would go back (RFC 8210 §5.1)", s.waves[w].name, cur.serial, serial)
	}
	s.showLocked(w, g)
	s.pruneLocked()
	s.scheduleNotifyLocked()
	return nil
}

func (s *Server) showLocked(w int, g *generation) {
	s.waves[w].gen.Store(g)
	s.m.waveSerial.WithLabelValues(s.waves[w].name).Set(float64(g.serial))
	s.m.waveVRPs.WithLabelValues(s.waves[w].name).Set(float64(len(g.vrps)))
	s.log.Info("rtr wave serves", "wave", s.waves[w].name, "serial", g.serial, "vrps", len(g.vrps))
}

// pruneLocked forgets the generations no wave serves, except the newest.
func (s *Server) pruneLocked() {
	for serial, g := range s.kept {
		if g == s.gen.Load() {
			continue
		}
		used := false
		for i := range s.waves {
			used = used || s.waves[i].gen.Load() == g
		}
		if !used {
			delete(s.kept, serial)
		}
	}
}

// WaveSerial is the serial wave w serves (ok=false: no data).
func (s *Server) WaveSerial(w int) (serial uint32, ok bool) {
	if g := s.waves[w].gen.Load(); g != nil {
		return g.serial, true
	}
	return 0, false
}

// WaveStatus is one wave's view for Status.
type WaveStatus struct {
	Name    string
	HasData bool
	Serial  uint32
	VRPs    int
	ASPAs   int
	Clients int
}

func (s *Server) waveStatus(clients []ClientStatus) []WaveStatus {
	var out []WaveStatus
	for i := range s.waves {
		ws := WaveStatus{Name: s.waves[i].name}
		if g := s.waves[i].gen.Load(); g != nil {
			ws.HasData, ws.Serial, ws.VRPs, ws.ASPAs = true, g.serial, len(g.vrps), len(g.aspas)
		}
		for _, c := range clients {
			if c.Wave == ws.Name {
				ws.Clients++
			}
		}
		out = append(out, ws)
	}
	return out
}
