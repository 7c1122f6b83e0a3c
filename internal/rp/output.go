package rp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jsonMetadata is the metadata object of rpki-client's JSON output, with
// the counters this RP keeps (deterministic: no host name or timings).
type jsonMetadata struct {
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
}

// jsonROA is one entry of "roas", in rpki-client's member order.
type jsonROA struct {
	ASN       uint32 `json:"asn"`
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"maxLength"`
	TA        string `json:"ta"`
	Expires   int64  `json:"expires"`
}

// jsonRejection is one entry of "rejected" (an extension: rpki-client
// consumers ignore unknown members).
type jsonRejection struct {
	URI    string `json:"uri"`
	Reason Reason `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// jsonASPA is one entry of "aspas" (rpki-client's member names).
type jsonASPA struct {
	Customer  uint32   `json:"customer_asid"`
	Expires   int64    `json:"expires"`
	Providers []uint32 `json:"providers"`
}

type jsonDoc struct {
	Metadata jsonMetadata    `json:"metadata"`
	ROAs     []jsonROA       `json:"roas"`
	ASPAs    []jsonASPA      `json:"aspas"`
	Rejected []jsonRejection `json:"rejected"`
}

// WriteJSON writes the result in rpki-client's JSON format
// ({"metadata":{...},"roas":[{"asn","prefix","maxLength","ta","expires"}]})
// plus "aspas" ({"customer_asid","expires","providers"}) and a "rejected" list of {"uri","reason","detail"}, tab-indented.
func (r *Result) WriteJSON(w io.Writer) error {
	d := jsonDoc{
		Metadata: jsonMetadata{
			BuildTime: r.Time.UTC().Format(time.RFC3339), ROAs: r.Stats.ROAs, FailedROAs: r.Stats.FailedROAs,
			Certificates: r.Stats.Certificates, FailedCerts: r.Stats.FailedCerts, TALs: r.Stats.TALs,
			FailedTALs: r.Stats.FailedTALs, TALFiles: r.TALs, Manifests: r.Stats.Manifests,
			FailedManifests: r.Stats.FailedManifests, CRLs: r.Stats.CRLs, VRPs: r.Stats.VRPs,
			UniqueVRPs: len(r.VRPs), Rejected: len(r.Rejected), ASPAs: r.Stats.ASPAs, Lenient: r.Lenient,
			FailedASPAs: r.Stats.FailedASPAs, VAPs: len(r.ASPAs),
		},
		ASPAs:    make([]jsonASPA, 0, len(r.ASPAs)),
		ROAs:     make([]jsonROA, 0, len(r.VRPs)),
		Rejected: make([]jsonRejection, 0, len(r.Rejected)),
	}
	if d.Metadata.TALFiles == nil {
		d.Metadata.TALFiles = []string{}
	}
	for _, v := range r.VRPs {
		d.ROAs = append(d.ROAs, jsonROA{ASN: v.ASN, Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), TA: v.TA, Expires: v.Expires.Unix()})
	}
	for _, a := range r.ASPAs {
		d.ASPAs = append(d.ASPAs, jsonASPA{Customer: a.Customer, Expires: a.Expires.Unix(), Providers: a.Providers})
	}
	for _, x := range r.Rejected {
		d.Rejected = append(d.Rejected, jsonRejection(x))
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

// WriteCSV writes rpki-client's CSV: "ASN,IP Prefix,Max Length,Trust Anchor,Expires".
func (r *Result) WriteCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("ASN,IP Prefix,Max Length,Trust Anchor,Expires\n")
	for _, v := range r.VRPs {
		buf.WriteString("AS" + strconv.FormatUint(uint64(v.ASN), 10) + "," + v.Prefix.String() + "," +
			strconv.Itoa(int(v.MaxLen)) + "," + csvField(v.TA) + "," + strconv.FormatInt(v.Expires.Unix(), 10) + "\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func csvField(s string) string {
	for _, c := range []byte(s) {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}

// WriteSummary writes the human summary of rejected objects: a count line,
// the count per reason, then one line per rejection ("rejected REASON URI: DETAIL").
func (r *Result) WriteSummary(w io.Writer) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d VRPs (%d unique) from %d ROAs, %d CA certificates, %d publication points; %d rejected\n",
		r.Stats.VRPs, len(r.VRPs), r.Stats.ROAs, r.Stats.Certificates, r.Stats.Manifests, len(r.Rejected))
	if len(r.Rejected) > 0 {
		count := map[Reason]int{}
		for _, x := range r.Rejected {
			count[x.Reason]++
		}
		buf.WriteString("by reason:")
		for _, k := range slices.Sorted(maps.Keys(count)) {
			fmt.Fprintf(&buf, " %s=%d", k, count[k])
		}
		buf.WriteString("\n")
	}
	if len(r.Lenient) > 0 {
		buf.WriteString("accepted despite (lenient):")
		for _, k := range slices.Sorted(maps.Keys(r.Lenient)) {
			fmt.Fprintf(&buf, " %s=%d", k, r.Lenient[k])
		}
		buf.WriteString("\n")
	}
	for _, x := range r.Rejected {
		if x.Detail != "" {
			fmt.Fprintf(&buf, "rejected %s %s: %s\n", x.Reason, x.URI, x.Detail)
		} else {
			fmt.Fprintf(&buf, "rejected %s %s\n", x.Reason, x.URI)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}
