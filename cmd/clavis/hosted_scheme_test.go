package main_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/grpcapi"
)

// TestHostedURLScheme checks the scheme of hosted image URLs: https for a
// REST request over TLS, http in plaintext, and a direct gRPC call cannot
// claim https with the metadata the gateway uses.
func TestHostedURLScheme(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	s.newApp(t, s.pat, "photos", false)
	ids := &pb.UserAppIDSet{UserId: "admin", AppId: "photos"}
	r, err := s.v2.PostInputs(as(s.pat), &pb.PostInputsRequest{UserAppId: ids, Inputs: []*pb.Input{{Id: "pic", Data: &pb.Data{Image: &pb.Image{Base64: pngOf(t, 1)}}}}})
	wantCode(t, r, err, st.StatusCode_SUCCESS)

	pemBytes, err := os.ReadFile(s.TLSCertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	tlsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	prefix := func(c *http.Client, base string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/v2/users/admin/apps/photos/inputs/pic", nil)
		req.Header.Set("Authorization", "Key "+s.pat)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Input struct {
				Data struct {
					Image struct {
						Hosted struct {
							Prefix string `json:"prefix"`
						} `json:"hosted"`
					} `json:"image"`
				} `json:"data"`
			} `json:"input"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", req.URL, resp.StatusCode, err)
		}
		return body.Input.Data.Image.Hosted.Prefix
	}
	tlsPort := s.TLSAddr()[strings.LastIndexByte(s.TLSAddr(), ':'):]
	if p := prefix(tlsClient, "https://localhost"+tlsPort); !strings.HasPrefix(p, "https://localhost"+tlsPort+"/") {
		t.Errorf("REST over TLS: hosted prefix %q, want https://localhost%s/…", p, tlsPort)
	}
	if p := prefix(http.DefaultClient, "http://"+s.Addr()); !strings.HasPrefix(p, "http://"+s.Addr()+"/") {
		t.Errorf("REST in plaintext: hosted prefix %q, want http://%s/…", p, s.Addr())
	}
	ctx := metadata.AppendToOutgoingContext(as(s.pat), grpcapi.SchemeMetadata, "https")
	g, err := s.v2.GetInput(ctx, &pb.GetInputRequest{UserAppId: ids, InputId: "pic"})
	wantCode(t, g, err, st.StatusCode_SUCCESS)
	if p := g.GetInput().GetData().GetImage().GetHosted().GetPrefix(); !strings.HasPrefix(p, "http://") {
		t.Errorf("plaintext gRPC claiming https in %s: hosted prefix %q, want http://…", grpcapi.SchemeMetadata, p)
	}
}
