package main_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

func TestTLSSelfSigned(t *testing.T) {
	s := startServer(t, func(c *cmd.Config) { c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	if !strings.HasPrefix(s.TLSCertFile, s.dir) {
		t.Fatalf("certificate %q not in the data dir", s.TLSCertFile)
	}
	pemBytes, err := os.ReadFile(s.TLSCertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("bad PEM")
	}
	port := s.TLSAddr()[strings.LastIndexByte(s.TLSAddr(), ':'):]
	for _, host := range []string{"localhost", "127.0.0.1"} {
		conn, err := grpc.NewClient(host+port, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		resp, err := pb.NewV2Client(conn).GetUser(as(s.pat), &pb.GetUserRequest{UserAppId: me()})
		wantCode(t, resp, err, st.StatusCode_SUCCESS)
	}
	// The certificate is kept and reused on the next start.
	key, _ := os.ReadFile(s.dir + "/tls/key.pem")
	if fi, _ := os.Stat(s.dir + "/tls/key.pem"); fi.Mode().Perm() != 0o600 || len(key) == 0 {
		t.Fatalf("key file mode %v", fi.Mode())
	}
	s.Close()
	s2 := startServer(t, func(c *cmd.Config) { c.DataDir = s.dir; c.TLSAddr = "127.0.0.1:0"; c.TLSSelfSigned = true })
	again, _ := os.ReadFile(s2.TLSCertFile)
	if string(again) != string(pemBytes) {
		t.Fatal("certificate regenerated although still valid")
	}
}

func TestTLSNeedsCertificate(t *testing.T) {
	cfg := cmd.DefaultConfig()
	cfg.DataDir, cfg.TLSAddr = t.TempDir(), "127.0.0.1:0"
	if _, err := cmd.NewServer(t.Context(), cfg, os.Stdout, os.Stderr); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("NewServer without a certificate: %v", err)
	}
}
