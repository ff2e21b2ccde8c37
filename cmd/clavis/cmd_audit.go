package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"
)

func auditCmd(env *Env) *cobra.Command {
	var user, since, event, key string
	var failed bool
	var limit uint32
	c := clientCmd(env, &cobra.Command{
		Use:   "audit [--user U] [--since T] [--event E] [--key ID] [--failed]",
		Short: "Show the audit log: key, log-in, sharing and admin events, newest first",
		Long: `Show the audit log, newest first: who did what, when, from where. Admins
see every entry, or with --user those concerning a user (or about an
organization); everyone else sees the entries where they are the actor or
the subject, and, as organization admins, --user ORG for their
organizations. Keys are named by their public id, never by their secret.`,
		Example: `  clavis audit --since 24h
  clavis audit --user bob --event key.create --json
  clavis audit --failed --since 2026-12-01T00:00:00Z`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		req := &tokensv1.SearchAuditRequest{UserId: user, KeyId: key, PerPage: limit}
		if since != "" {
			t, err := parseSince(since)
			if err != nil {
				return err
			}
			req.Since = timestamppb.New(t)
		}
		if event != "" {
			req.Events = splitList(event)
		}
		if failed {
			req.Success = wrapperspb.Bool(false)
		}
		resp, err := tokensv1.NewTokensClient(cl.conn).SearchAudit(ctx, req)
		return cl.table(resp, err, "AT\tEVENT\tOK\tACTOR\tSUBJECT\tKEY\tFROM\tCOUNT\tDETAILS", func(row func(...any)) {
			for _, e := range resp.GetEntries() {
				actor := dash(e.GetActorId())
				if e.GetActorKeyId() != "" {
					actor += " (key " + e.GetActorKeyId() + ")"
				}
				subject := dash(e.GetSubjectId())
				if e.GetOrgId() != "" {
					subject += " org " + e.GetOrgId()
				}
				if e.GetAppId() != "" {
					subject += " app " + e.GetAppOwnerId() + "/" + e.GetAppId()
				}
				row(e.GetAt().AsTime().UTC().Format(time.RFC3339), e.GetEvent(), e.GetSuccess(), actor, subject, dash(e.GetKeyId()),
					dash(e.GetSourceIp()), e.GetCount(), e.GetDetails())
			}
		})
	})
	c.Flags().StringVar(&user, "user", "", "only entries concerning this user, or about this organization (admins: any; others: themselves or their organizations)")
	c.Flags().StringVar(&since, "since", "", "only entries since: a duration back from now (24h) or an RFC 3339 time")
	c.Flags().StringVar(&event, "event", "", "comma-separated events, e.g. key.create,login (docs/tokens.md lists them)")
	c.Flags().StringVar(&key, "key", "", "only entries about this key id, or made with it")
	c.Flags().BoolVar(&failed, "failed", false, "only failed events: failed log-ins, refused tokens")
	c.Flags().Uint32Var(&limit, "limit", 100, "at most this many entries (up to 1000)")
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseSince reads --since: a duration back from now ("24h") or an RFC 3339
// time.
func parseSince(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--since %q: give a duration such as 24h or a time such as 2026-12-01T00:00:00Z", s)
	}
	return t, nil
}
