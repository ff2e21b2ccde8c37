package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/api/gen/openapi"
	"github.com/clavis-dev/clavis/internal/gateway/bindings"
)

// router finds, for a request, the binding of Clarifai's V2 service it
// belongs to (bindings.Clarifai, Clarifai's own table), so that a path of a
// method Clavis does not serve there answers 501 naming that method, as
// gRPC answers UNIMPLEMENTED, instead of being taken by a declared method
// whose template also matches (GET /v2/models/types is ListModelTypes, not
// GetModel of a model "types") or answering 405 or 404. Clavis serves a
// binding when our protos declare its method and api/gateway.yaml binds it
// (PostModelOutputs is declared, but not its path through deployments).
//
// Among the bindings whose template matches a path, the one with a literal
// at the first segment where the others have a variable wins. Clarifai's
// file binds a few paths twice, to two methods, by mistake (GET
// /v2/pipelines to ListPipelines and PostPipelines): of two bindings of the
// same shape, the one whose method is named after its HTTP method (List or
// Get for GET, Post for POST, …) wins, then the first in the file. A path whose binding is a declared method's goes on to the
// grpc-gateway mux, whose routes come from api/gateway.yaml; a test checks
// that every binding of the table reaches its own method either way.
type router struct {
	// routes holds the bindings by verb and number of segments, each list
	// in the order of precedence.
	routes map[routeKey][]route
}

type routeKey struct {
	verb string
	segs int
}

type route struct {
	t      bindings.Template
	method string
	served bool // by a handler of the grpc-gateway mux
	index  int  // in the table
}

// newRouter returns the router of bs; served reports whether the mux has a
// handler for a binding.
func newRouter(bs []bindings.Binding, served func(bindings.Binding) bool) *router {
	r := &router{routes: map[routeKey][]route{}}
	for i, b := range bs {
		t, err := bindings.ParseTemplate(b.Path)
		if err != nil {
			panic("gateway: " + err.Error()) // bindings.ReadTable parsed it already
		}
		k := routeKey{b.Verb, strings.Count(b.Path, "/")}
		r.routes[k] = append(r.routes[k], route{t: t, method: b.Method, served: served(b), index: i})
	}
	for k, rs := range r.routes {
		sort.Slice(rs, func(i, j int) bool {
			if a, b := rs[i].t, rs[j].t; a.MoreSpecific(b) || b.MoreSpecific(a) {
				return a.MoreSpecific(b)
			}
			if a, b := namedFor(rs[i].method, k.verb), namedFor(rs[j].method, k.verb); a != b {
				return a
			}
			return rs[i].index < rs[j].index
		})
	}
	return r
}

// rpcVerbs are the words that begin the names of the methods that each
// HTTP method is for, in Clarifai's API.
var rpcVerbs = map[string][]string{"GET": {"Get", "List"}, "POST": {"Post"}, "PUT": {"Put"}, "PATCH": {"Patch"}, "DELETE": {"Delete"}}

// namedFor reports whether the method's name says it is for the HTTP method.
func namedFor(method, verb string) bool {
	for _, w := range rpcVerbs[verb] {
		if strings.HasPrefix(method, w) {
			return true
		}
	}
	return false
}

// lookup returns the binding that the request with this HTTP method and
// escaped path belongs to, if it is one of Clarifai's.
func (r *router) lookup(verb, path string) (route, bool) {
	for _, rt := range r.routes[routeKey{verb, strings.Count(path, "/")}] {
		if rt.t.Match(path) {
			return rt, true
		}
	}
	return route{}, false
}

// servedV2 returns whether the mux serves a binding of Clarifai's V2
// service: whether our V2 service declares its method, and the OpenAPI
// document, which `make generate` writes from api/gateway.yaml, has the
// binding's path and HTTP method.
func servedV2() (func(bindings.Binding) bool, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		return nil, fmt.Errorf("gateway: read the OpenAPI document: %w", err)
	}
	v2 := pb.File_clarifai_api_service_proto.Services().ByName("V2")
	return func(b bindings.Binding) bool {
		_, bound := doc.Paths[b.Path][strings.ToLower(b.Verb)]
		return bound && v2.Methods().ByName(protoreflect.Name(b.Method)) != nil
	}, nil
}

// serveUndeclared answers a request for a method Clavis does not declare.
func serveUndeclared(w http.ResponseWriter, method string) {
	writeStatus(w, http.StatusNotImplemented, st.StatusCode_NOT_IMPLEMENTED, "Not implemented",
		method+" is not implemented by Clavis (docs/compatibility.md lists what is)")
}
