package gateway

import (
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// undeclared lists REST bindings of Clarifai methods next to the ones Clavis
// serves that its protos do not declare: they answer 501 with a status body
// (over gRPC, UNIMPLEMENTED), where any other unknown path answers 404.
var undeclared = []struct{ method, pattern, rpc string }{
	{"POST", "/v2/users/{user_id}/apps/searches", "PostAppsSearches"},
	{"GET", "/v2/myscopesroot", "MyScopesRoot"},
	{"POST", "/v2/users/{user_id}/apps/{app_id}/inputs/searches", "PostInputsSearches"},
	{"POST", "/v2/inputs/searches", "PostInputsSearches"},
	{"POST", "/v2/users/{user_id}/apps/{app_id}/searches", "PostSearches"},
	{"POST", "/v2/searches", "PostSearches"},
}

func registerUndeclared(mux *runtime.ServeMux) error {
	for _, u := range undeclared {
		rpc := u.rpc
		err := mux.HandlePath(u.method, u.pattern, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
			writeStatus(w, http.StatusNotImplemented, st.StatusCode_NOT_IMPLEMENTED, "Not implemented",
				rpc+" is not implemented by Clavis (docs/compatibility.md lists what is)")
		})
		if err != nil {
			return err
		}
	}
	return nil
}
