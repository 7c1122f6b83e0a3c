package rtr

// serialLess reports a < b in RFC 1982 serial number arithmetic with
// SERIAL_BITS = 32 (RFC 8210 §4): the pair is undefined, and reported as
// not-less, when they are exactly 2^31 apart.
func serialLess(a, b uint32) bool {
	return a != b && ((a < b && b-a < 1<<31) || (a > b && a-b > 1<<31))
}

// serialDistance returns how many increments lead from a to b, if a <= b in
// RFC 1982 terms.
func serialDistance(a, b uint32) (uint32, bool) {
	if a == b {
		return 0, true
	}
	if !serialLess(a, b) {
		return 0, false
	}
	return b - a, true
}
