// Command extract writes the table of the HTTP bindings of Clarifai's V2
// service, read from the service.proto of Clarifai's published protos (the
// npm package clarifai-nodejs-grpc holds it as proto/clarifai/api/service.proto).
// `make bindings` runs it to rewrite internal/gateway/bindings/clarifai-http-bindings.tsv.
//
// Usage:
//
//	extract SERVICE_PROTO > clarifai-http-bindings.tsv
package main

import (
	"fmt"
	"os"

	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: extract SERVICE_PROTO > clarifai-http-bindings.tsv")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "extract:", err)
		os.Exit(1)
	}
	bs, err := bindings.Extract(string(src), "V2")
	if err == nil {
		err = bindings.WriteTable(os.Stdout, bs)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "extract: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
