package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// queryParser is grpc-gateway's query parser, except that booleans are read
// case-insensitively: the Python REST client sends Python's True/False, and
// others send TRUE or yes-like spellings of their own.
type queryParser struct{}

func (queryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	md := msg.ProtoReflect().Descriptor()
	for key, vs := range values {
		if !isBoolField(md, key) {
			continue
		}
		for i, v := range vs {
			switch {
			case strings.EqualFold(v, "true"):
				vs[i] = "true"
			case strings.EqualFold(v, "false"):
				vs[i] = "false"
			}
		}
	}
	return (&runtime.DefaultQueryParser{}).Parse(msg, values, filter)
}

// isBoolField reports whether the dotted field path names a bool (or
// google.protobuf.BoolValue) field of md.
func isBoolField(md protoreflect.MessageDescriptor, path string) bool {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		fd := md.Fields().ByName(protoreflect.Name(p))
		if fd == nil {
			fd = md.Fields().ByJSONName(p)
		}
		if fd == nil {
			return false
		}
		if i == len(parts)-1 {
			return fd.Kind() == protoreflect.BoolKind ||
				fd.Message() != nil && fd.Message().FullName() == "google.protobuf.BoolValue"
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return false
		}
		md = fd.Message()
	}
	return false
}

// userAppIDs is user_app_id as it may appear in a JSON body, in either name
// form.
type userAppIDs struct {
	UserAppID      *idPair `json:"user_app_id"`
	UserAppIDCamel *idPair `json:"userAppId"`
}

type idPair struct {
	UserID      *string `json:"user_id"`
	UserIDCamel *string `json:"userId"`
	AppID       *string `json:"app_id"`
	AppIDCamel  *string `json:"appId"`
}

func first(ss ...*string) string {
	for _, s := range ss {
		if s != nil && *s != "" {
			return *s
		}
	}
	return ""
}

// pathIDs returns the user and app ids of a /v2/users/{user_id}[/apps/{app_id}]…
// path; empty when the path carries none.
func pathIDs(p string) (user, app string) {
	rest, ok := strings.CutPrefix(p, "/v2/users/")
	if !ok {
		return "", ""
	}
	segs := strings.Split(rest, "/")
	user, _ = url.PathUnescape(segs[0])
	if len(segs) >= 3 && segs[1] == "apps" {
		app, _ = url.PathUnescape(segs[2])
	}
	return user, app
}

// checkUserAppID refuses a request whose body or query names a different
// user_app_id than its path. Clients (the Python REST client among them)
// send user_app_id in both; equal values are fine and the path wins. It
// reports whether the request may go on, having answered it otherwise.
func checkUserAppID(w http.ResponseWriter, r *http.Request) bool {
	pathUser, pathApp := pathIDs(r.URL.Path)
	if pathUser == "" {
		return true
	}
	disagree := func(where, field string) bool {
		writeStatus(w, http.StatusBadRequest, st.StatusCode_CONN_INVALID_REQUEST, "Invalid request",
			"user_app_id."+field+" in the "+where+" disagrees with the "+field+" in the path; send the same ids or leave them out of the "+where)
		return false
	}
	q := r.URL.Query()
	if u := firstValue(q, "user_app_id.user_id", "userAppId.userId"); u != "" && u != pathUser {
		return disagree("query", "user_id")
	}
	if a := firstValue(q, "user_app_id.app_id", "userAppId.appId"); a != "" && pathApp != "" && a != pathApp {
		return disagree("query", "app_id")
	}
	if !hasBody(r) {
		return true
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		if !writeBodyFailure(w, r) {
			writeStatus(w, http.StatusBadRequest, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format", "could not read the request body")
		}
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte("serAppId")) && !bytes.Contains(body, []byte("ser_app_id")) {
		return true
	}
	var ids userAppIDs
	if json.Unmarshal(body, &ids) != nil {
		return true // malformed: the gateway answers it
	}
	for _, p := range []*idPair{ids.UserAppID, ids.UserAppIDCamel} {
		if p == nil {
			continue
		}
		if u := first(p.UserID, p.UserIDCamel); u != "" && u != pathUser {
			return disagree("body", "user_id")
		}
		if a := first(p.AppID, p.AppIDCamel); a != "" && pathApp != "" && a != pathApp {
			return disagree("body", "app_id")
		}
	}
	return true
}

func firstValue(q url.Values, keys ...string) string {
	for _, k := range keys {
		if v := q.Get(k); v != "" {
			return v
		}
	}
	return ""
}
