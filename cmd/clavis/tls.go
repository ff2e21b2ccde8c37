package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// selfSignedNames are the names a generated certificate is valid for.
var selfSignedNames = []string{"localhost"}

var selfSignedIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

// tlsConfig returns the TLS configuration for the TLS listener: the
// operator's certificate and key, or a self-signed certificate kept in
// <data-dir>/tls (made on first use, renewed when it nears expiry). It
// returns the certificate's path, for logs and for clients to trust.
func (c *Config) tlsConfig() (*tls.Config, string, error) {
	certFile, keyFile := c.TLSCert, c.TLSKey
	switch {
	case c.TLSSelfSigned && (certFile != "" || keyFile != ""):
		return nil, "", errors.New("--tls-self-signed and --tls-cert/--tls-key exclude each other")
	case c.TLSSelfSigned:
		dir := filepath.Join(c.DataDir, "tls")
		certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := ensureSelfSigned(certFile, keyFile); err != nil {
			return nil, "", err
		}
	case certFile == "" || keyFile == "":
		return nil, "", errors.New("--tls-addr needs --tls-cert and --tls-key, or --tls-self-signed")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("load TLS certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}, certFile, nil
}

// ensureSelfSigned writes a self-signed certificate and key for localhost
// unless a valid one for at least 30 more days is already there.
func ensureSelfSigned(certFile, keyFile string) error {
	if b, err := os.ReadFile(certFile); err == nil {
		if blk, _ := pem.Decode(b); blk != nil {
			if cert, err := x509.ParseCertificate(blk.Bytes); err == nil && time.Until(cert.NotAfter) > 30*24*time.Hour {
				if _, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
					return nil
				}
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"Clavis self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so clients can trust it as its own root
		DNSNames:              selfSignedNames,
		IPAddresses:           selfSignedIPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePrivate(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return err
	}
	return writePrivate(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
