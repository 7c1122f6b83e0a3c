// Package vrpjson is the rpki-client JSON VRP format, the exchange format of
// validators: {"metadata":{...},"roas":[{"prefix","maxLength","asn","ta",
// "expires"}],"aspas":[...]}. It decodes (gzip detected, size bounded,
// StayRTR/FORT variants accepted) for road rtr and the tests, and encodes
// the bundled RP's output.
package vrpjson
