package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

func orgPolicyCmd(env *Env) *cobra.Command {
	return group("policy", "Show or set an organization's expiry policy for its members' PATs and its apps' keys", `  clavis org policy set acme --pat-max-lifetime 2160h --app-key-expiry-required
  clavis org policy show acme`,
		orgPolicyShowCmd(env), orgPolicySetCmd(env))
}

// printPolicy writes an organization's policy and the keys that break it.
func printPolicy(env *Env, cl *client, org string, resp *orgsv1.KeyPolicyResponse, err error) error {
	if err := cl.call(resp, err); err != nil {
		return err
	}
	return cl.show(func() {
		p := resp.GetPolicy()
		lt := func(d *durationpb.Duration) string {
			if d.AsDuration() <= 0 {
				return "none"
			}
			return d.AsDuration().String()
		}
		fmt.Fprintf(env.Stdout, "Policy of %s: PATs max lifetime %s, expiry required %v; app keys max lifetime %s, expiry required %v",
			org, lt(p.GetPatMaxLifetime()), p.GetPatExpiryRequired(), lt(p.GetAppKeyMaxLifetime()), p.GetAppKeyExpiryRequired())
		if p.GetStopAt() != nil {
			fmt.Fprintf(env.Stdout, "; breaking keys stop at %s", p.GetStopAt().AsTime().UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stdout, "\n%d keys break it\n", len(resp.GetBreakingKeys()))
		if len(resp.GetBreakingKeys()) == 0 {
			return
		}
		tw := newTable(env)
		fmt.Fprintln(tw, "USER\tID\tHINT\tTYPE\tEXPIRES\tWARNING")
		for _, b := range resp.GetBreakingKeys() {
			k := b.GetKey()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.GetUserId(), k.GetId(), k.GetHint(), k.GetType(), fmtTime(k.GetExpiresAt(), k.GetExpiresAt() != nil), k.GetPolicyWarning())
		}
		tw.Flush()
	}, resp)
}

func orgPolicyShowCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "show ORG_ID",
		Short:   "Show an organization's key policy and the keys that break it (org admins)",
		Example: `  clavis org policy show acme`,
		Args:    exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.GetKeyPolicy(ctx, &orgsv1.OrgRequest{OrgId: args[0]})
		return printPolicy(env, cl, args[0], resp, err)
	})
}

func orgPolicySetCmd(env *Env) *cobra.Command {
	var patMax, appMax time.Duration
	var patReq, appReq bool
	var stopAt string
	c := clientCmd(env, &cobra.Command{
		Use:   "set ORG_ID [--pat-max-lifetime D] [--pat-expiry-required] [--app-key-max-lifetime D] [--app-key-expiry-required] [--stop-at T]",
		Short: "Replace an organization's key policy for its members' PATs and its apps' keys (org admins)",
		Long: `Replace an organization's expiry policy: it governs the PATs of its members
and the keys of its apps; the stricter of it and the server's policy applies
to new keys and changes. What is not given is off (no flags: no policy).
Keys that break it are listed; with --stop-at they stop working at that
date (their expiry becomes it unless they expire sooner).`,
		Example: `  clavis org policy set acme --pat-max-lifetime 2160h --app-key-expiry-required
  clavis org policy set acme --pat-max-lifetime 720h --stop-at 2027-01-31T00:00:00Z
  clavis org policy set acme        # no policy`,
		Args: exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		p := &orgsv1.KeyPolicy{PatExpiryRequired: patReq, AppKeyExpiryRequired: appReq}
		if patMax > 0 {
			p.PatMaxLifetime = durationpb.New(patMax)
		}
		if appMax > 0 {
			p.AppKeyMaxLifetime = durationpb.New(appMax)
		}
		if stopAt != "" {
			t, err := time.Parse(time.RFC3339, stopAt)
			if err != nil {
				return usagef("--stop-at: want an RFC 3339 time such as 2027-01-31T00:00:00Z")
			}
			p.StopAt = timestamppb.New(t)
		}
		resp, err := cl.orgs.SetKeyPolicy(ctx, &orgsv1.SetKeyPolicyRequest{OrgId: args[0], Policy: p})
		return printPolicy(env, cl, args[0], resp, err)
	})
	c.Flags().DurationVar(&patMax, "pat-max-lifetime", 0, "longest lifetime of members' PATs, e.g. 2160h; 0 = no bound")
	c.Flags().BoolVar(&patReq, "pat-expiry-required", false, "refuse members' PATs that never expire")
	c.Flags().DurationVar(&appMax, "app-key-max-lifetime", 0, "longest lifetime of the keys of the organization's apps; 0 = no bound")
	c.Flags().BoolVar(&appReq, "app-key-expiry-required", false, "refuse keys of the organization's apps that never expire")
	c.Flags().StringVar(&stopAt, "stop-at", "", "RFC 3339 date from which keys that break the policy stop working; default they keep working")
	return c
}
