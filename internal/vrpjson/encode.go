package vrpjson

import (
	"bytes"
	"encoding/json"
	"io"
)

// Metadata is the metadata object of rpki-client's JSON output, with the
// counters road's RP keeps (deterministic: no host name or timings).
type Metadata struct {
	BuildTime       string   `json:"buildtime"`
	ROAs            int      `json:"roas"`
	FailedROAs      int      `json:"failedroas"`
	ASPAs           int      `json:"aspas"`
	FailedASPAs     int      `json:"failedaspas"`
	Certificates    int      `json:"certificates"`
	FailedCerts     int      `json:"invalidcertificates"`
	TALs            int      `json:"tals"`
	FailedTALs      int      `json:"invalidtals"`
	TALFiles        []string `json:"talfiles"`
	Manifests       int      `json:"manifests"`
	FailedManifests int      `json:"failedmanifests"`
	CRLs            int      `json:"crls"`
	VRPs            int      `json:"vrps"`
	UniqueVRPs      int      `json:"uniquevrps"`
	VAPs            int      `json:"vaps"`
	Rejected        int      `json:"rejected"`
	// Lenient counts accepted objects by leniency code (an extension).
	Lenient map[string]int `json:"leniencies,omitempty"`
	// Fetch counts repository fetches by kind (an extension; absent
	// when the run fetched nothing).
	Fetch map[string]int `json:"fetch,omitempty"`
}

// ROA is one entry of "roas", in rpki-client's member order.
type ROA struct {
	ASN       uint32 `json:"asn"`
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"maxLength"`
	TA        string `json:"ta"`
	Expires   int64  `json:"expires"`
}

// ASPA is one entry of "aspas" (rpki-client's member names).
type ASPA struct {
	Customer  uint32   `json:"customer_asid"`
	Expires   int64    `json:"expires"`
	Providers []uint32 `json:"providers"`
}

// Rejection is one entry of "rejected", an extension of road's RP
// (rpki-client consumers ignore unknown members).
type Rejection struct {
	URI    string `json:"uri"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Document is a whole output file.
type Document struct {
	Metadata Metadata    `json:"metadata"`
	ROAs     []ROA       `json:"roas"`
	ASPAs    []ASPA      `json:"aspas"`
	Rejected []Rejection `json:"rejected"`
}

// Encode writes d tab-indented as rpki-client does, without HTML escaping,
// in one Write so a failed encoding leaves w untouched. Nil lists are
// written as [] (consumers index them without a null check).
func Encode(w io.Writer, d Document) error {
	if d.Metadata.TALFiles == nil {
		d.Metadata.TALFiles = []string{}
	}
	if d.ROAs == nil {
		d.ROAs = []ROA{}
	}
	if d.ASPAs == nil {
		d.ASPAs = []ASPA{}
	}
	if d.Rejected == nil {
		d.Rejected = []Rejection{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
