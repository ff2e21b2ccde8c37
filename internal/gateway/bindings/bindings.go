// Package bindings holds the HTTP bindings of Clarifai's V2 service, as
// Clarifai's own service.proto declares them, in a committed table
// (clarifai-http-bindings.tsv, written by `make bindings`), with the parser
// that extracts them from that file and the path templates that match
// request paths against them.
package bindings

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// A Binding is one HTTP binding of an RPC method: a primary binding or one
// of its additional_bindings.
type Binding struct {
	// Method is the RPC method's name in service V2, e.g. "GetModel".
	Method string
	// Verb is the HTTP method: GET, POST, PUT, PATCH or DELETE.
	Verb string
	// Path is the path template, e.g.
	// "/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/models/{model_id}".
	Path string
	// Body is the binding's body field: "*" for the whole request, a field
	// name, or "" when the request has no body.
	Body string
}

//go:embed clarifai-http-bindings.tsv
var table string

// TableHeader is the first line of the table, naming its columns.
const TableHeader = "method\tverb\tpath\tbody"

// Clarifai returns the bindings of the committed table, in the order of
// Clarifai's service.proto. It panics if the table is malformed, which a
// test rules out.
func Clarifai() []Binding {
	bs, err := ReadTable(strings.NewReader(table))
	if err != nil {
		panic(fmt.Sprintf("bindings: committed table: %v", err))
	}
	return bs
}

// ReadTable reads a table written by WriteTable.
func ReadTable(r io.Reader) ([]Binding, error) {
	sc := bufio.NewScanner(r)
	var out []Binding
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			if line != TableHeader {
				return nil, fmt.Errorf("line 1: want the header %q", TableHeader)
			}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %d columns, want 4", n, len(f))
		}
		b := Binding{Method: f[0], Verb: f[1], Path: f[2], Body: f[3]}
		if _, err := ParseTemplate(b.Path); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !verbs[b.Verb] {
			return nil, fmt.Errorf("line %d: unknown HTTP method %q", n, b.Verb)
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// WriteTable writes bindings as tab-separated lines under TableHeader.
func WriteTable(w io.Writer, bs []Binding) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, TableHeader)
	for _, b := range bs {
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\n", b.Method, b.Verb, b.Path, b.Body)
	}
	return bw.Flush()
}

// verbs are the HTTP methods a google.api.http rule can name but custom.
var verbs = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
