package main_test

import (
	"slices"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// BenchmarkNotVisibleVsMissing times the refusals that must not tell a
// caller whether something they may not see exists: another user's
// existing app, key or input against a missing one. Each iteration makes
// one call of each kind, alternately, so that drift and load hit both
// alike; the benchmark reports both medians and their ratio (1 is no
// difference). Run with -benchtime=5000x or so.
func BenchmarkNotVisibleVsMissing(b *testing.B) {
	s := startServer(b)
	s.newApp(b, s.pat, "private", false)
	token := s.newKey(b, s.pat, &pb.Key{Type: "personal_access_token", Scopes: []string{"Apps:Get"}})
	keys, err := s.v2.ListKeys(as(s.pat), &pb.ListKeysRequest{UserAppId: me()})
	if err != nil || len(keys.GetKeys()) == 0 {
		b.Fatal(err, keys.GetStatus())
	}
	keyID := keys.GetKeys()[0].GetId()
	unknown := unknownPAT(b)
	bob := s.newUser(b, "bob")
	ctx := as(bob)
	for _, tc := range []struct {
		name             string
		existing, absent func() (*st.Status, error)
		want             st.StatusCode
	}{
		{
			name: "GetApp",
			existing: func() (*st.Status, error) {
				r, err := s.v2.GetApp(ctx, &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "private"}})
				return r.GetStatus(), err
			},
			absent: func() (*st.Status, error) {
				r, err := s.v2.GetApp(ctx, &pb.GetAppRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "missing"}})
				return r.GetStatus(), err
			},
			want: st.StatusCode_CONN_DOES_NOT_EXIST,
		},
		{
			name: "GetKeyByToken",
			existing: func() (*st.Status, error) {
				r, err := s.v2.GetKey(ctx, &pb.GetKeyRequest{UserAppId: me(), KeyId: token})
				return r.GetStatus(), err
			},
			absent: func() (*st.Status, error) {
				r, err := s.v2.GetKey(ctx, &pb.GetKeyRequest{UserAppId: me(), KeyId: unknown})
				return r.GetStatus(), err
			},
			want: st.StatusCode_CONN_DOES_NOT_EXIST,
		},
		{
			name: "GetKeyByID",
			existing: func() (*st.Status, error) {
				r, err := s.v2.GetKey(ctx, &pb.GetKeyRequest{UserAppId: me(), KeyId: keyID})
				return r.GetStatus(), err
			},
			absent: func() (*st.Status, error) {
				r, err := s.v2.GetKey(ctx, &pb.GetKeyRequest{UserAppId: me(), KeyId: "0123456789abcdef0123456789abcdef"})
				return r.GetStatus(), err
			},
			want: st.StatusCode_CONN_DOES_NOT_EXIST,
		},
		{
			name: "GetInput",
			existing: func() (*st.Status, error) {
				r, err := s.v2.GetInput(ctx, &pb.GetInputRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "private"}, InputId: "x"})
				return r.GetStatus(), err
			},
			absent: func() (*st.Status, error) {
				r, err := s.v2.GetInput(ctx, &pb.GetInputRequest{UserAppId: &pb.UserAppIDSet{UserId: "admin", AppId: "missing"}, InputId: "x"})
				return r.GetStatus(), err
			},
			want: st.StatusCode_CONN_DOES_NOT_EXIST,
		},
	} {
		if tc.name == "GetApp" {
			// The control: the same refusal on both sides shows the noise.
			b.Run("Control", func(b *testing.B) { runPair(b, tc.absent, tc.absent, tc.want) })
		}
		b.Run(tc.name, func(b *testing.B) { runPair(b, tc.existing, tc.absent, tc.want) })
	}
}

// runPair times existing and absent alternately, each b.N times, checks
// that both are refused with want, and reports their medians and ratio.
func runPair(b *testing.B, existing, absent func() (*st.Status, error), want st.StatusCode) {
	var ex, ab []time.Duration
	call := func(f func() (*st.Status, error), into *[]time.Duration) {
		start := time.Now()
		s, err := f()
		*into = append(*into, time.Since(start))
		if err != nil || s.GetCode() != want {
			b.Fatalf("%v, %v; want %v", s, err, want)
		}
	}
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first.
		if i%2 == 0 {
			call(existing, &ex)
			call(absent, &ab)
		} else {
			call(absent, &ab)
			call(existing, &ex)
		}
	}
	e, a := median(ex), median(ab)
	b.ReportMetric(float64(e.Nanoseconds()), "ns-not-visible")
	b.ReportMetric(float64(a.Nanoseconds()), "ns-missing")
	b.ReportMetric(float64(e)/float64(a), "ratio")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
