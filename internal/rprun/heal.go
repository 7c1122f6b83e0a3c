package rprun

import (
	"errors"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/roadrpki/road/internal/rp"
)

// maxHealRepos bounds the repositories one heal drops (each is fetched
// again from its snapshot).
const maxHealRepos = 16

// heal drops the RRDP state of the repositories a bad run points at, so the
// next fetch loads their snapshots (RFC 8182 §3.4.3) and replaces damaged
// cached files. Road's own cache holds only road's repository: all of its
// RRDP state goes. For the configured TALs only the repositories holding a
// rejected object go. The manifest state stays (replay protection, RFC
// 9286 §4.2.1). It returns how many repositories it dropped.
//
// The layout is rp.RRDPClient's: CACHE/.rrdp/ID/HOST/MODULE/PATH beside
// CACHE/.rrdp/ID.json.
func (r *Runner) heal(f *feed, res *rp.Result) int {
	dir := filepath.Join(f.cache, ".rrdp")
	var ids []string
	if f == r.own {
		ids = repoIDs(dir)
	} else if res != nil {
		ids = affectedRepos(dir, res.Rejected)
	}
	n := 0
	for _, id := range ids {
		if n == maxHealRepos {
			break
		}
		err1 := os.RemoveAll(filepath.Join(dir, id))
		err2 := os.Remove(filepath.Join(dir, id+".json"))
		if err1 != nil || (err2 != nil && !errors.Is(err2, os.ErrNotExist)) {
			r.log.Error("relying party: RRDP state not dropped", "feed", f.name, "repository", id, "err", errors.Join(err1, err2))
			continue
		}
		n++
	}
	return n
}

// repoIDs lists the repositories that have RRDP state under dir.
func repoIDs(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var ids []string
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() && validID(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// affectedRepos lists the repositories whose tree holds a rejected object
// (or its publication point's directory).
func affectedRepos(dir string, rejected []rp.Rejection) []string {
	ids := repoIDs(dir)
	var out []string
	hit := map[string]bool{}
	for _, x := range rejected {
		rel, ok := rsyncPath(x.URI)
		if !ok {
			continue
		}
		for _, id := range ids {
			if hit[id] {
				continue
			}
			for _, p := range []string{rel, path.Dir(rel)} {
				if _, err := os.Stat(filepath.Join(dir, id, filepath.FromSlash(p))); err == nil && p != "." {
					hit[id] = true
					out = append(out, id)
					break
				}
			}
		}
	}
	return out
}

// rsyncPath turns rsync://host/module/path into host/module/path, refusing
// anything that could leave the cache.
func rsyncPath(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "rsync" || u.Host == "" {
		return "", false
	}
	p := u.Host + "/" + strings.TrimPrefix(u.Path, "/")
	if strings.Contains(p, "\\") || path.Clean(p) != strings.TrimSuffix(p, "/") || strings.Contains(p, "/../") {
		return "", false
	}
	return strings.TrimSuffix(p, "/"), true
}

// validID: the hex names rp gives repositories.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
