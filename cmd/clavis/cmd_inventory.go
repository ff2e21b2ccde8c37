package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	adminv1 "github.com/clavis-dev/clavis/api/gen/clavis/admin/v1"
)

// splitApp reads OWNER/APP.
func splitApp(s string) (owner, app string, err error) {
	owner, app, ok := strings.Cut(s, "/")
	if !ok || owner == "" || app == "" {
		return "", "", usagef("--app %q: give OWNER/APP", s)
	}
	return owner, app, nil
}

func usersKeysCmd(env *Env) *cobra.Command {
	var user, typ, app, createdBefore string
	var expired, live bool
	var unusedFor time.Duration
	c := clientCmd(env, &cobra.Command{
		Use:   "keys [--user U] [--type T] [--app OWNER/APP] [--expired|--live] [--unused-for D] [--created-before T]",
		Short: "List the keys of every user (masked), with filters",
		Example: `  clavis users keys --unused-for 2160h
  clavis users keys --user bob --type personal_access_token --json`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		req := &adminv1.ListAllKeysRequest{UserId: user, Type: typ, PerPage: 1000}
		if app != "" {
			o, a, err := splitApp(app)
			if err != nil {
				return err
			}
			req.AppOwnerId, req.AppId = o, a
		}
		switch {
		case expired && live:
			return usagef("give --expired or --live, not both")
		case expired:
			req.Expired = wrapperspb.Bool(true)
		case live:
			req.Expired = wrapperspb.Bool(false)
		}
		if unusedFor > 0 {
			req.UnusedSince = timestamppb.New(time.Now().Add(-unusedFor))
		}
		if createdBefore != "" {
			t, err := time.Parse(time.RFC3339, createdBefore)
			if err != nil {
				return usagef("--created-before %q: give an RFC 3339 time such as 2026-01-31T00:00:00Z", createdBefore)
			}
			req.CreatedBefore = timestamppb.New(t)
		}
		resp, err := cl.admin.ListAllKeys(ctx, req)
		return cl.table(resp, err, "USER\tID\tHINT\tTYPE\tAPP\tDESCRIPTION\tCREATED\tEXPIRES\tLAST USED\tFROM\tPOLICY", func(row func(...any)) {
			for _, ok := range resp.GetKeys() {
				k := ok.GetKey()
				app := "-"
				if len(k.GetApps()) > 0 {
					app = k.GetApps()[0].GetUserId() + "/" + k.GetApps()[0].GetId()
				}
				row(ok.GetUserId(), k.GetId(), k.GetHint(), k.GetType(), app, k.GetDescription(), fmtTime(k.GetCreatedAt(), k.GetCreatedAt() != nil),
					fmtTime(k.GetExpiresAt(), k.GetExpiresAt() != nil), fmtTime(k.GetLastUsedAt(), k.GetLastUsedAt() != nil), dash(k.GetLastUsedAddr()), dash(k.GetPolicyWarning()))
			}
		})
	})
	c.Flags().StringVar(&user, "user", "", "only this user's keys")
	c.Flags().StringVar(&typ, "type", "", "personal_access_token or app_specific_key")
	c.Flags().StringVar(&app, "app", "", "only the keys of this app, OWNER/APP")
	c.Flags().BoolVar(&expired, "expired", false, "only expired keys")
	c.Flags().BoolVar(&live, "live", false, "only keys that have not expired")
	c.Flags().DurationVar(&unusedFor, "unused-for", 0, "only keys not used for this long (or never), e.g. 2160h")
	c.Flags().StringVar(&createdBefore, "created-before", "", "only keys created before this RFC 3339 time")
	return c
}

func usersRevokeKeysCmd(env *Env) *cobra.Command {
	var user, app, org string
	c := clientCmd(env, &cobra.Command{
		Use:   "revoke-keys (--user U | --app OWNER/APP | --org ORG)",
		Short: "Delete every key of a user, an app or an organization's apps at once",
		Long: `Delete every key of a user (PATs and app keys), of one app, or of all the
apps of an organization, in one call. They stop working on every replica
from the next request; each owner sees a key.revoke_bulk audit entry.`,
		Example: `  clavis users revoke-keys --user bob
  clavis users revoke-keys --app acme/vision`,
		Args: exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		req := &adminv1.RevokeKeysRequest{UserId: user, OrgId: org}
		if app != "" {
			o, a, err := splitApp(app)
			if err != nil {
				return err
			}
			req.AppOwnerId, req.AppId = o, a
		}
		resp, err := cl.admin.RevokeKeys(ctx, req)
		return cl.done(resp, err, "Revoked %d keys", resp.GetRevoked())
	})
	c.Flags().StringVar(&user, "user", "", "every key of this user")
	c.Flags().StringVar(&app, "app", "", "every key of this app, OWNER/APP")
	c.Flags().StringVar(&org, "org", "", "every key of this organization's apps")
	return c
}
