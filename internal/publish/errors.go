package publish

import "errors"

// Errors carry a stable reason code (the text before the colon) for API
// responses and metrics.
var (
	// ErrBadURI: an object URI is outside the rsync base or has a bad name.
	ErrBadURI = errors.New("publish_bad_uri")
	// ErrDuplicate: two objects with the same URI and different content.
	ErrDuplicate = errors.New("publish_duplicate_uri")
	// ErrStale: a staged change was built on a state that is no longer current.
	ErrStale = errors.New("publish_stale_stage")
	// ErrBadOptions: Options are incomplete or malformed.
	ErrBadOptions = errors.New("publish_bad_options")
	// ErrBadFile: an RRDP file read back from disk is malformed.
	ErrBadFile = errors.New("publish_bad_rrdp_file")
	// ErrWrite: writing a file or swapping the tree failed.
	ErrWrite = errors.New("publish_write_failed")
)
