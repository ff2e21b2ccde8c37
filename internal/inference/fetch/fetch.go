package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Defaults used for the zero values of Config's limits.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBytes     = 20 << 20
	DefaultMaxRedirects = 3
)

// UserAgent is the User-Agent header of every request the Fetcher sends.
const UserAgent = "Clavis-Fetcher/1"

// msgDownload is the one message callers see for a fetch that was refused
// or failed: it must not tell them which, lest the fetcher become a probe
// of the network it runs in.
const msgDownload = "could not fetch the image URL"

// maxURLLength bounds the length of a URL given to Fetch.
const maxURLLength = 8 << 10

// A Resolver looks up the IP addresses of a host name. *net.Resolver
// implements it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Config configures a Fetcher. The zero value is ready to use and allows no
// exceptions to the rules of the package documentation.
type Config struct {
	// Allow lists the operator's exceptions (the --fetch-allow flag): host
	// names, "host:port" pairs and CIDR prefixes, as described in the
	// package documentation.
	Allow []string

	// Timeout bounds a whole fetch, redirects and body included. Zero means
	// DefaultTimeout.
	Timeout time.Duration

	// MaxBytes bounds the size of a body. Zero means DefaultMaxBytes.
	MaxBytes int64

	// MaxRedirects bounds how many redirects a fetch follows. Zero means
	// DefaultMaxRedirects; a negative value means none.
	MaxRedirects int

	// Resolver looks up host names. Nil means net.DefaultResolver.
	Resolver Resolver

	// DialContext, if set, makes each connection in place of a net.Dialer.
	// It is only called with network "tcp" and a numeric "ip:port" address
	// that has passed the address and port rules. Tests use it to stand in
	// for hosts they must not reach.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// A Fetcher downloads images from URLs given by untrusted callers. It is
// safe for concurrent use; idle connections are kept per host and reused.
type Fetcher struct {
	allow        allowList
	timeout      time.Duration
	maxBytes     int64
	maxRedirects int
	resolver     Resolver
	dial         func(ctx context.Context, network, address string) (net.Conn, error)
	client       *http.Client
}

// New returns a Fetcher for cfg. It returns an error naming the first
// malformed Allow entry, or a negative Timeout or MaxBytes.
func New(cfg Config) (*Fetcher, error) {
	allow, err := parseAllow(cfg.Allow)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("fetch: negative timeout %v", cfg.Timeout)
	}
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("fetch: negative byte limit %d", cfg.MaxBytes)
	}
	f := &Fetcher{
		allow:        allow,
		timeout:      cfg.Timeout,
		maxBytes:     cfg.MaxBytes,
		maxRedirects: cfg.MaxRedirects,
		resolver:     cfg.Resolver,
		dial:         cfg.DialContext,
	}
	if f.timeout == 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxBytes == 0 {
		f.maxBytes = DefaultMaxBytes
	}
	switch {
	case f.maxRedirects == 0:
		f.maxRedirects = DefaultMaxRedirects
	case f.maxRedirects < 0:
		f.maxRedirects = 0
	}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	f.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // never a proxy from the environment
			DialContext:            f.dialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			DisableCompression:     true, // images do not compress; no gzip bombs
			MaxIdleConns:           64,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: f.checkRedirect,
	}
	return f, nil
}

// Fetch downloads the image at rawURL and returns its bytes. It returns a
// *clavis.Error: clavis.EInputURL when rawURL is malformed or refused by its
// shape (scheme, credentials, host spelling, port), clavis.EInputTooLarge
// when the body exceeds the byte limit, and clavis.EInputDownload when the
// fetch is refused or fails (refused address, lookup or connection failure,
// non-2xx status, timeout, too many or refused redirects, a body that is not
// an image). The message of an EInputDownload error is the same whatever the
// reason, which is kept in Cause for the log.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := f.parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &clavis.Error{Code: clavis.EInputURL, Message: "the image URL is not valid", Cause: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "image/jpeg, image/png, image/gif, image/webp, image/bmp, image/*;q=0.8")

	resp, err := f.client.Do(req)
	if err != nil {
		return nil, downloadError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, downloadError(ctx, fmt.Errorf("fetch: %s answered %s", resp.Request.URL.Redacted(), resp.Status))
	}
	if resp.ContentLength > f.maxBytes {
		return nil, f.tooLarge(fmt.Errorf("fetch: Content-Length %d", resp.ContentLength))
	}
	return f.readImage(ctx, resp)
}

// readImage reads resp's body up to the byte limit, refusing it as soon as
// its first bytes show it is not an image.
func (f *Fetcher) readImage(ctx context.Context, resp *http.Response) ([]byte, error) {
	body := io.LimitReader(resp.Body, f.maxBytes+1)
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(body, head)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		// A body shorter than sniffLen: isImage judges what there is.
	case err != nil:
		return nil, downloadError(ctx, err)
	}
	head = head[:n]
	if !isImage(head) {
		return nil, &clavis.Error{
			Code:    clavis.EInputDownload,
			Message: "the URL did not return an image",
			Cause:   fmt.Errorf("fetch: %s: body starts %q", resp.Request.URL.Redacted(), head),
		}
	}
	size := max(resp.ContentLength, 0) + bytes.MinRead
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.Write(head)
	if err == nil {
		if _, err := buf.ReadFrom(body); err != nil {
			return nil, downloadError(ctx, err)
		}
	}
	if int64(buf.Len()) > f.maxBytes {
		return nil, f.tooLarge(fmt.Errorf("fetch: body over %d bytes", f.maxBytes))
	}
	return buf.Bytes(), nil
}

func (f *Fetcher) tooLarge(cause error) *clavis.Error {
	return &clavis.Error{
		Code:    clavis.EInputTooLarge,
		Message: fmt.Sprintf("the image at the URL is larger than %d bytes", f.maxBytes),
		Cause:   cause,
	}
}

// downloadError wraps err as the generic EInputDownload error. When the
// fetch's context is done, its error joins the cause so that errors.Is finds
// context.DeadlineExceeded or context.Canceled.
func downloadError(ctx context.Context, err error) *clavis.Error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
	}
	return &clavis.Error{Code: clavis.EInputDownload, Message: msgDownload, Cause: err}
}

// parseURL parses rawURL and applies the URL rules to it.
func (f *Fetcher) parseURL(rawURL string) (*url.URL, error) {
	if len(rawURL) > maxURLLength {
		return nil, &clavis.Error{Code: clavis.EInputURL, Message: "the image URL is too long"}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &clavis.Error{Code: clavis.EInputURL, Message: "the image URL is not valid", Cause: err}
	}
	if err := f.checkURL(u); err != nil {
		ue := err.(*urlError)
		return nil, &clavis.Error{Code: clavis.EInputURL, Message: ue.msg, Cause: ue.err}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// checkRedirect is the http.Client's CheckRedirect: it bounds the number of
// redirects, applies the URL rules to each target, and drops the Referer
// header, which would tell the target the caller's URL.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.maxRedirects {
		return fmt.Errorf("fetch: stopped after %d redirects", f.maxRedirects)
	}
	if err := f.checkURL(req.URL); err != nil {
		return fmt.Errorf("fetch: redirect to %s refused: %w", req.URL.Redacted(), err)
	}
	req.Header.Del("Referer")
	req.Header.Del("Authorization")
	req.Header.Del("Cookie")
	return nil
}

// urlError is a URL refused by the URL rules; msg is safe for the caller.
type urlError struct {
	msg string
	err error
}

func (e *urlError) Error() string {
	if e.err != nil {
		return "fetch: " + e.msg + ": " + e.err.Error()
	}
	return "fetch: " + e.msg
}

func (e *urlError) Unwrap() error { return e.err }

// checkURL applies the URL rules to u: scheme, credentials, host spelling
// and port. It returns a *urlError.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &urlError{msg: "the image URL must use http or https"}
	}
	if u.User != nil {
		return &urlError{msg: "the image URL must not contain credentials"}
	}
	if u.Opaque != "" || u.Host == "" {
		return &urlError{msg: "the image URL has no host"}
	}
	host, err := canonicalHost(u.Hostname())
	if err != nil {
		return &urlError{msg: "the image URL's host must be a host name or an IP address in standard form", err: err}
	}
	port := uint16(80)
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = parsePort(p); err != nil {
			return &urlError{msg: "the image URL's port is not valid", err: err}
		}
	}
	if !f.allow.portAllowed(host, port) {
		return &urlError{msg: "the image URL must use port 80 or 443"}
	}
	return nil
}
