package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"
)

func patCmd(env *Env) *cobra.Command {
	return group("pat", "Manage your Personal Access Tokens: create, list, update, delete", `  clavis pat create --description ci --scopes Predict,Models:Get --expires 720h
  clavis pat list`,
		keyCreateCmd(env, clavis.KeyTypePAT), keyListCmd(env, clavis.KeyTypePAT), patUpdateCmd(env), keyRotateCmd(env, clavis.KeyTypePAT), keyDeleteCmd(env, clavis.KeyTypePAT))
}

func keyCmd(env *Env) *cobra.Command {
	return group("key", "Manage app-specific keys, each reaching one app of yours: create, list, delete", `  clavis key create --app photos --scopes Predict,Inputs:Add
  clavis key list --app photos`,
		keyCreateCmd(env, clavis.KeyTypeApp), keyListCmd(env, clavis.KeyTypeApp), keyRotateCmd(env, clavis.KeyTypeApp), keyDeleteCmd(env, clavis.KeyTypeApp))
}

// keyNoun is how the commands call a key of type kt.
func keyNoun(kt clavis.KeyType) string {
	if kt == clavis.KeyTypePAT {
		return "pat"
	}
	return "key"
}

// keySpec holds the flags that describe a key.
type keySpec struct {
	desc, scopes, endpoints, expires string
	expiry                           time.Time
	// rate is --rate-limit, which rateSet says was given.
	rate    uint32
	rateSet bool
}

func (k *keySpec) bind(c *cobra.Command, defaultScopes string) {
	c.Flags().StringVar(&k.desc, "description", "", "description")
	usage := "comma-separated scopes, e.g. All or Predict,Models:Get (clavis scopes lists them)"
	if defaultScopes == "" {
		usage += "; default: unchanged"
	}
	c.Flags().StringVar(&k.scopes, "scopes", defaultScopes, usage)
	c.Flags().StringVar(&k.endpoints, "endpoints", "", "comma-separated methods the key is limited to, e.g. /clarifai.api.V2/PostModelOutputs")
	c.Flags().StringVar(&k.expires, "expires", "", "expiry: 7d, 30d, 60d, 90d, never, a duration from now (720h) or an RFC 3339 time; default never")
	c.Flags().Uint32Var(&k.rate, "rate-limit", 0, "requests a minute the key may make, across every replica; 0 = no limit (on update: removes it); default none, or unchanged")
	c.PreRunE = func(c *cobra.Command, _ []string) error {
		var err error
		k.expiry, err = parseExpiry(k.expires)
		k.rateSet = c.Flags().Changed("rate-limit")
		return err
	}
}

// key returns the key the flags describe.
func (k *keySpec) key(kt clavis.KeyType) *pb.Key {
	key := &pb.Key{Type: string(kt), Description: k.desc, Scopes: splitList(k.scopes), Endpoints: splitList(k.endpoints)}
	if !k.expiry.IsZero() {
		key.ExpiresAt = timestamppb.New(k.expiry)
	}
	if k.rateSet {
		key.RateLimit = wrapperspb.UInt32(k.rate)
	}
	return key
}

func keyCreateCmd(env *Env, kt clavis.KeyType) *cobra.Command {
	var spec keySpec
	var app string
	c := &cobra.Command{
		Use:   "create [--scopes S] [--description D] [--expires E] [--rate-limit N]",
		Short: "Create a Personal Access Token; it is printed once, alone on standard output",
		Example: `  clavis pat create --description ci --scopes Predict,Apps:Get,Models:Get --expires 720h
  PAT=$(clavis pat create --scopes Predict)
  clavis pat create --description batch --scopes Predict --rate-limit 600`,
		Args: exactArgs(),
	}
	if kt == clavis.KeyTypeApp {
		c.Use = "create --app APP_ID [--scopes S] [--description D] [--expires E] [--rate-limit N]"
		c.Short = "Create an app-specific key for one of your apps; it is printed once, alone on standard output"
		c.Long = `Create an app-specific key for one of your apps; it is printed once, alone on
standard output. An app key reaches only its own app: it cannot predict with
the built-in models of clarifai/main. Use a PAT for those.`
		c.Example = `  clavis key create --app photos --scopes Predict,Inputs:Add,Inputs:Get
  KEY=$(clavis key create --app photos --scopes All --expires 2027-01-31T00:00:00Z)`
	}
	c = clientCmd(env, c, func(ctx context.Context, cl *client, _ []string) error {
		key := spec.key(kt)
		if kt == clavis.KeyTypeApp {
			key.Apps = []*pb.App{{Id: app, UserId: "me"}}
		}
		resp, err := cl.v2.PostKeys(ctx, &pb.PostKeysRequest{UserAppId: me, Keys: []*pb.Key{key}})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			k := resp.GetKeys()[0]
			fmt.Fprintf(env.Stderr, "Created %s %q with scopes %s. Store the token now; it is not shown again:\n", keyNoun(kt), k.GetDescription(), strings.Join(k.GetScopes(), ","))
			fmt.Fprintln(env.Stdout, k.GetId())
		}, resp)
	})
	spec.bind(c, clavis.ScopeAll)
	if kt == clavis.KeyTypeApp {
		c.Flags().StringVar(&app, "app", "", "the app of yours the key reaches (required)")
		checkExpiry := c.PreRunE
		c.PreRunE = func(cmd *cobra.Command, args []string) error {
			if app == "" {
				return usagef("--app is required")
			}
			return checkExpiry(cmd, args)
		}
	}
	return c
}

func keyListCmd(env *Env, kt clavis.KeyType) *cobra.Command {
	var app string
	var unusedFor time.Duration
	var neverUsed bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List your Personal Access Tokens (masked): id, hint, scopes, created, expires, last used and from where",
		Example: `  clavis pat list
  clavis pat list --unused-for 720h`,
		Args: exactArgs(),
	}
	if kt == clavis.KeyTypeApp {
		c.Short = "List your app-specific keys (masked), of all your apps or of one"
		c.Example = `  clavis key list
  clavis key list --app photos --json`
	}
	c = clientCmd(env, c, func(ctx context.Context, cl *client, _ []string) error {
		var resp *pb.MultiKeyResponse
		var err error
		if app != "" && (unusedFor > 0 || neverUsed) {
			return usagef("--unused-for and --never-used list all your keys: leave out --app")
		}
		if app != "" {
			resp, err = cl.v2.ListAppKeys(ctx, &pb.ListAppKeysRequest{UserAppId: &pb.UserAppIDSet{UserId: "me", AppId: app}, PerPage: 1000})
		} else {
			req := &pb.ListKeysRequest{UserAppId: me, Type: string(kt), PerPage: 1000, NeverUsed: neverUsed}
			if unusedFor > 0 {
				req.LastUsedBefore = timestamppb.New(time.Now().Add(-unusedFor))
			}
			resp, err = cl.v2.ListKeys(ctx, req)
		}
		return cl.table(resp, err, "ID\tHINT\tDESCRIPTION\tAPP\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tFROM\tLIMIT", func(row func(...any)) {
			for _, k := range resp.GetKeys() {
				app := "-"
				if len(k.GetApps()) > 0 {
					app = k.GetApps()[0].GetUserId() + "/" + k.GetApps()[0].GetId()
				}
				row(k.GetId(), k.GetHint(), k.GetDescription(), app, strings.Join(k.GetScopes(), ","), fmtTime(k.GetCreatedAt(), k.GetCreatedAt() != nil),
					fmtTime(k.GetExpiresAt(), k.GetExpiresAt() != nil), fmtTime(k.GetLastUsedAt(), k.GetLastUsedAt() != nil), dash(k.GetLastUsedAddr()), fmtRate(k.GetRateLimit()))
				if w := k.GetPolicyWarning(); w != "" {
					fmt.Fprintf(env.Stderr, "warning: %s %s: %s\n", keyNoun(kt), k.GetId(), w)
				}
			}
		})
	})
	if kt == clavis.KeyTypeApp {
		c.Flags().StringVar(&app, "app", "", "only the keys of this app of yours")
	}
	c.Flags().DurationVar(&unusedFor, "unused-for", 0, "only keys last used longer ago than this, e.g. 720h (not those never used)")
	c.Flags().BoolVar(&neverUsed, "never-used", false, "only keys never used")
	return c
}

func patUpdateCmd(env *Env) *cobra.Command {
	var spec keySpec
	c := clientCmd(env, &cobra.Command{
		Use:   "update ID [--description D] [--scopes S] [--expires E] [--endpoints E] [--rate-limit N]",
		Short: "Change a Personal Access Token's description, scopes, endpoints, expiry or rate limit",
		Long: `Change a Personal Access Token's description, scopes, endpoints, expiry or
rate limit (--rate-limit 0 removes it);
what is not given stays as it is. ID is the PAT's id (clavis pat list) or
the token itself.`,
		Example: `  clavis pat update 3f2c… --scopes Predict,Models:Get
  clavis pat update 3f2c… --expires 2027-01-31T00:00:00Z
  clavis pat update 3f2c… --rate-limit 60`,
		Args: exactArgs("ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		cur, err := cl.v2.GetKey(ctx, &pb.GetKeyRequest{UserAppId: me, KeyId: args[0]})
		if err := cl.call(cur, err); err != nil {
			return err
		}
		key := spec.key("")
		key.Id = cur.GetKey().GetId()
		if spec.desc == "" {
			key.Description = cur.GetKey().GetDescription()
		}
		if spec.endpoints == "" {
			key.Endpoints = cur.GetKey().GetEndpoints()
		}
		if spec.scopes == "" {
			key.Scopes = nil // unchanged
		}
		resp, err := cl.v2.PatchKeys(ctx, &pb.PatchKeysRequest{UserAppId: me, Keys: []*pb.Key{key}, Action: "overwrite"})
		return cl.done(resp, err, "Updated pat %s", args[0])
	})
	spec.bind(c, "")
	return c
}

func keyRotateCmd(env *Env, kt clavis.KeyType) *cobra.Command {
	noun := keyNoun(kt)
	var grace time.Duration
	c := &cobra.Command{
		Use:   "rotate ID [--grace DURATION]",
		Short: "Replace a Personal Access Token with a new secret, printed last on standard output",
		Long: `Replace a Personal Access Token with a new secret: a new PAT with the same
description, scopes, endpoints and expiry rule. The old secret keeps working
for --grace (default 0: it stops at once), then is refused as rotated out.
The new secret is printed once, as the last line of standard output. ID is
the PAT's id (clavis pat list).`,
		Example: `  clavis pat rotate 3f2c… --grace 24h
  PAT=$(clavis pat rotate 3f2c… | tail -n1)`,
		Args: exactArgs("ID"),
	}
	if kt == clavis.KeyTypeApp {
		c.Short = "Replace an app-specific key with a new secret, printed last on standard output"
		c.Long = strings.NewReplacer("a Personal Access Token", "an app-specific key", "PAT's id (clavis pat list)", "key's id (clavis key list)",
			"a new PAT", "a new key of the same app").Replace(c.Long)
		c.Example = `  clavis key rotate 9a41… --grace 1h
  KEY=$(clavis key rotate 9a41… | tail -n1)`
	}
	c = clientCmd(env, c, func(ctx context.Context, cl *client, args []string) error {
		resp, err := tokensv1.NewTokensClient(cl.conn).RotateKey(ctx, &tokensv1.RotateKeyRequest{KeyId: args[0], Grace: durationpb.New(grace)})
		if err := cl.call(resp, err); err != nil {
			return err
		}
		return cl.show(func() {
			old := resp.GetOldKey()
			fmt.Fprintf(env.Stdout, "Rotated %s %s: the old secret (%s) works until %s; its replacement is %s.\n", noun, old.GetId(), old.GetHint(),
				old.GetExpiresAt().AsTime().UTC().Format(time.RFC3339), old.GetReplacedBy())
			fmt.Fprintln(env.Stderr, "Store the new token now; it is not shown again:")
			fmt.Fprintln(env.Stdout, resp.GetKey().GetId())
		}, resp)
	})
	c.Flags().DurationVar(&grace, "grace", 0, "how long the old secret keeps working, e.g. 24h; 0 stops it at once (at most 720h)")
	return c
}

func keyDeleteCmd(env *Env, kt clavis.KeyType) *cobra.Command {
	noun := keyNoun(kt)
	c := &cobra.Command{
		Use:     "delete ID",
		Short:   "Delete a Personal Access Token, by id or token; it stops working at once",
		Example: `  clavis pat delete 3f2c…`,
		Args:    exactArgs("ID"),
	}
	if kt == clavis.KeyTypeApp {
		c.Short = "Delete an app-specific key, by id or token; it stops working at once"
		c.Example = `  clavis key delete 9a41…`
	}
	return clientCmd(env, c, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.v2.DeleteKey(ctx, &pb.DeleteKeyRequest{UserAppId: me, KeyId: args[0]})
		return cl.done(resp, err, "Deleted %s %s", noun, args[0])
	})
}

// fmtRate shows a key's rate limit: "60/min", or "-" for none.
func fmtRate(r *wrapperspb.UInt32Value) string {
	if r.GetValue() == 0 {
		return "-"
	}
	return strconv.FormatUint(uint64(r.GetValue()), 10) + "/min"
}
