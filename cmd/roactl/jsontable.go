package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// The answers of the bgp, expiry, audit and rp endpoints are shown by shape:
// scalars and nested objects as "key  value" lines, arrays of objects as
// tables whose columns are the objects' keys in the server's order. This keeps
// roactl readable even as those answers grow fields.

const maxJSONDepth = 32

// node is a JSON value that remembers the order of object keys.
type node struct {
	kind   byte // 'o' object, 'a' array, 's' scalar
	keys   []string
	fields map[string]*node
	items  []*node
	text   string // scalar: string contents or number/bool literal; "" with null
	null   bool
	str    bool // scalar was a JSON string
}

func parseNode(raw []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o', fields: map[string]*node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := n.fields[k]; !dup {
					n.keys = append(n.keys, k)
				}
				n.fields[k] = v
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case nil:
		return &node{kind: 's', null: true}, nil
	case string:
		return &node{kind: 's', text: t, str: true}, nil
	default:
		return &node{kind: 's', text: fmt.Sprint(t)}, nil
	}
}

// cell is how a value shows in a table cell or after a key.
func (n *node) cell() string {
	switch {
	case n.kind == 's' && n.null:
		return "-"
	case n.kind == 's':
		if n.text == "" {
			return "-"
		}
		return n.text
	case n.kind == 'a' && n.allScalars():
		if len(n.items) == 0 {
			return "-"
		}
		parts := make([]string, len(n.items))
		for i, it := range n.items {
			parts[i] = it.cell()
		}
		return strings.Join(parts, ", ")
	case n.kind == 'a' && n.allObjects():
		parts := make([]string, len(n.items))
		for i, it := range n.items {
			t, ok := it.short()
			if !ok {
				return n.compact()
			}
			parts[i] = t
		}
		return strings.Join(parts, ", ")
	case n.kind == 'o':
		if t, ok := n.short(); ok {
			return t
		}
	}
	return n.compact()
}

// short shows the objects the analysis answers are made of the way operators
// write them: a ROA as "PREFIX[-MAXLEN] => ASN", a route as "PREFIX ASN" (or
// "PREFIX NONE" for an AS_SET origin), an intent as "PREFIX ASN (note)".
func (n *node) short() (string, bool) {
	has := func(keys ...string) bool {
		if len(n.keys) != len(keys) {
			return false
		}
		for _, k := range keys {
			if f, ok := n.fields[k]; !ok || f.kind != 's' {
				return false
			}
		}
		return true
	}
	text := func(k string) string { return n.fields[k].text }
	num := func(k string) int {
		v, err := strconv.Atoi(text(k))
		if err != nil {
			return -1
		}
		return v
	}
	switch {
	case has("prefix", "max_length", "asn") || has("prefix", "asn"):
		ml := 0
		if _, ok := n.fields["max_length"]; ok {
			ml = num("max_length")
		}
		return roaText(api.ROA{Prefix: text("prefix"), MaxLength: ml, ASN: uint32(max(num("asn"), 0))}), num("asn") >= 0 && ml >= 0
	case has("prefix", "origin", "no_origin") && text("no_origin") == "true":
		return text("prefix") + " NONE", true
	case has("prefix", "origin"):
		return text("prefix") + " AS" + text("origin"), true
	case has("prefix", "origin", "note"):
		return text("prefix") + " AS" + text("origin") + " (" + text("note") + ")", true
	}
	return "", false
}

func (n *node) allScalars() bool {
	for _, it := range n.items {
		if it.kind != 's' {
			return false
		}
	}
	return true
}

func (n *node) allObjects() bool {
	for _, it := range n.items {
		if it.kind != 'o' {
			return false
		}
	}
	return len(n.items) > 0
}

// compact re-encodes the node as one-line JSON, keys in the server's order.
func (n *node) compact() string {
	var b strings.Builder
	n.writeJSON(&b)
	return b.String()
}

func (n *node) writeJSON(b *strings.Builder) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			n.fields[k].writeJSON(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.writeJSON(b)
		}
		b.WriteByte(']')
	default:
		switch {
		case n.null:
			b.WriteString("null")
		case n.str:
			sb, _ := json.Marshal(n.text)
			b.Write(sb)
		default:
			b.WriteString(n.text)
		}
	}
}

// renderJSONTable prints a JSON answer as key lines and tables.
func renderJSONTable(w io.Writer, raw []byte) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		fmt.Fprintln(w, "ok")
		return nil
	}
	n, err := parseNode(raw)
	if err != nil {
		// Not JSON after all: show it rather than hide it.
		fmt.Fprintln(w, safeText(strings.TrimSpace(string(raw))))
		return nil
	}
	switch n.kind {
	case 'a':
		renderArray(w, n, "items")
	case 'o':
		renderObject(w, n)
	default:
		fmt.Fprintln(w, safe(n.cell()))
	}
	return nil
}

func renderObject(w io.Writer, n *node) {
	var lines [][2]string
	var tables []string
	var flatten func(prefix string, o *node)
	flatten = func(prefix string, o *node) {
		for _, k := range o.keys {
			v := o.fields[k]
			name := prefix + k
			switch {
			case v.kind == 'o':
				flatten(name+".", v)
			case v.kind == 'a' && (v.allObjects() || (len(v.items) == 0 && prefix == "")):
				if prefix == "" {
					tables = append(tables, k)
				} else {
					lines = append(lines, [2]string{name, v.cell()})
				}
			default:
				lines = append(lines, [2]string{name, v.cell()})
			}
		}
	}
	flatten("", n)
	if len(lines) > 0 {
		t := newTable(w)
		for _, l := range lines {
			fmt.Fprintf(t, "%s\t%s\n", safe(l[0]), safe(l[1]))
		}
		t.Flush()
	}
	for i, k := range tables {
		if len(lines) > 0 || i > 0 {
			fmt.Fprintln(w)
		}
		if len(lines) > 0 || len(tables) > 1 {
			fmt.Fprintf(w, "%s:\n", safe(k))
		}
		renderArray(w, n.fields[k], k)
	}
}

// renderArray prints an array of objects as a table, anything else one item a line.
func renderArray(w io.Writer, a *node, what string) {
	if len(a.items) == 0 {
		fmt.Fprintf(w, "no %s\n", safe(strings.ReplaceAll(what, "_", " ")))
		return
	}
	if !a.allObjects() {
		for _, it := range a.items {
			fmt.Fprintln(w, safe(it.cell()))
		}
		return
	}
	var cols []string
	seen := map[string]bool{}
	for _, it := range a.items {
		for _, k := range it.keys {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	t := newTable(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = safe(strings.ToUpper(strings.ReplaceAll(c, "_", " ")))
	}
	fmt.Fprintln(t, strings.Join(head, "\t"))
	for _, it := range a.items {
		row := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := it.fields[c]; ok {
				row[i] = safe(v.cell())
			} else {
				row[i] = "-"
			}
		}
		fmt.Fprintln(t, strings.Join(row, "\t"))
	}
	t.Flush()
}
