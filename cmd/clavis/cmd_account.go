package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

var me = &pb.UserAppIDSet{UserId: "me"}

func loginCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "login",
		Short: "Check a PAT with the server and save both for later commands",
		Long: `Check a Personal Access Token with the server and save the address and the
PAT in $XDG_CONFIG_HOME/clavis/config.json (mode 0600). The PAT is --pat,
else CLAVIS_PAT, else the first line of standard input. The address is
--addr, else CLAVIS_ADDR, else the saved login's, else 127.0.0.1:18080.

CLAVIS_ADDR and CLAVIS_PAT, when set, win over the saved login in later
commands.`,
		Example: `  clavis login --addr 127.0.0.1:18080 < clavis-data/bootstrap.pat
  clavis login --pat "$PAT"`,
		Args:    exactArgs(),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return loginPAT(env, cmd) },
	}
	return clientCmd(env, c, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.v2.GetUser(ctx, &pb.GetUserRequest{UserAppId: me})
		if err != nil {
			return cl.transportError(err)
		}
		if s := resp.GetStatus(); s.GetCode() != st.StatusCode_SUCCESS {
			if cl.json {
				cl.printJSON(resp)
			}
			return fmt.Errorf("the server refused the PAT: %s", statusText(s))
		}
		path, err := saveConfig(env, clientConfig{Addr: cl.target.Addr, PAT: cl.target.PAT})
		if err != nil {
			return fmt.Errorf("save login: %w", err)
		}
		noteEnv(env, "%s is set; it wins over the saved login until you unset it")
		return cl.show(func() {
			fmt.Fprintf(env.Stdout, "Logged in to %s as %s (saved in %s)\n", cl.target.Addr, resp.GetUser().GetId(), path)
		}, resp)
	})
}

// noteEnv prints a note on stderr, format with the variable's name, for
// each of CLAVIS_ADDR and CLAVIS_PAT that is set.
func noteEnv(env *Env, format string) {
	for _, v := range []string{"CLAVIS_ADDR", "CLAVIS_PAT"} {
		if env.Getenv(v) != "" {
			fmt.Fprintf(env.Stderr, "note: "+format+"\n", v)
		}
	}
}

// loginPAT gives login its PAT from standard input when neither --pat nor
// CLAVIS_PAT is set, prompting only on a terminal.
func loginPAT(env *Env, c *cobra.Command) error {
	pat := c.Flags().Lookup("pat")
	if pat.Changed || env.Getenv("CLAVIS_PAT") != "" {
		return nil
	}
	if f, ok := env.Stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(env.Stderr, "Personal Access Token: ")
		}
	}
	// A read error leaves the line empty, which is the error to report.
	line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
	if line = strings.TrimSpace(line); line == "" {
		return usagef("no PAT: pass --pat, set CLAVIS_PAT or give it on standard input")
	}
	return pat.Value.Set(line)
}

func logoutCmd(env *Env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "logout",
		Short:   "Remove the saved login",
		Long:    "Remove the login that clavis login saved. CLAVIS_ADDR and CLAVIS_PAT, if set, still apply.",
		Example: `  clavis logout`,
		Args:    exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			path, err := configPath(env)
			if err != nil {
				return err
			}
			err = os.Remove(path)
			removed := err == nil
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			noteEnv(env, "%s is still set; client commands keep using it")
			if asJSON {
				return writeJSON(env.Stdout, struct {
					Path    string `json:"path"`
					Removed bool   `json:"removed"`
				}{path, removed})
			}
			if removed {
				fmt.Fprintf(env.Stdout, "Removed the saved login %s\n", path)
			} else {
				fmt.Fprintf(env.Stdout, "No saved login at %s\n", path)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the path and whether a login was removed as one JSON document")
	return c
}

func whoamiCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show the server, the user the PAT belongs to, and its scopes",
		Long: `Show the server, the user the PAT belongs to, the PAT's scopes, and where
the address and the PAT came from (flag, environment, saved login). With
--json: one object with the fields of GetUser and MyScopesUser.`,
		Example: `  clavis whoami
  CLAVIS_PAT=clvp_… clavis whoami --json`,
		Args: exactArgs(),
	}
	return clientCmd(env, c, func(ctx context.Context, cl *client, _ []string) error {
		u, err := cl.v2.GetUser(ctx, &pb.GetUserRequest{UserAppId: me})
		if err := cl.call(u, err); err != nil {
			return err
		}
		sc, err := cl.v2.MyScopesUser(ctx, &pb.MyScopesUserRequest{UserAppId: me})
		if err := cl.call(sc, err); err != nil {
			return err
		}
		return cl.show(func() {
			tw := newTable(env)
			fmt.Fprintf(tw, "server:\t%s\t(%s)\n", cl.target.Addr, cl.target.AddrFrom)
			fmt.Fprintf(tw, "user:\t%s\n", u.GetUser().GetId())
			if e := u.GetUser().GetUserDetail().GetPrimaryEmail(); e != "" {
				fmt.Fprintf(tw, "email:\t%s\n", e)
			}
			fmt.Fprintf(tw, "scopes:\t%s\n", strings.Join(sc.GetScopes(), ", "))
			fmt.Fprintf(tw, "PAT from:\t%s\n", cl.target.PATFrom)
			tw.Flush()
		}, u, sc)
	})
}

func scopesCmd(env *Env) *cobra.Command {
	var keyType string
	c := &cobra.Command{
		Use:   "scopes",
		Short: "List the scopes a key may have, and which ones your PAT has",
		Long: `List every scope a key may have with the scopes it depends on (ListScopes),
marking those your PAT has (MyScopesUser). --endpoints also lists each
method with the scopes it needs. With --json: one object with the fields
of both responses.`,
		Example: `  clavis scopes
  clavis scopes --key-type app --endpoints`,
		Args: exactArgs(),
	}
	var endpoints bool
	c = clientCmd(env, c, func(ctx context.Context, cl *client, _ []string) error {
		kt := map[string]clavis.KeyType{"pat": clavis.KeyTypePAT, "app": clavis.KeyTypeApp}[keyType]
		if kt == "" {
			return usagef("--key-type must be pat or app")
		}
		all, err := cl.v2.ListScopes(ctx, &pb.ListScopesRequest{KeyType: string(kt)})
		if err := cl.call(all, err); err != nil {
			return err
		}
		mine, err := cl.v2.MyScopesUser(ctx, &pb.MyScopesUserRequest{UserAppId: me})
		if err := cl.call(mine, err); err != nil {
			return err
		}
		return cl.show(func() {
			tw := newTable(env)
			fmt.Fprintln(tw, "SCOPE\tYOURS\tDEPENDS ON")
			for _, s := range all.GetScopeDeps() {
				yours := ""
				if slices.Contains(mine.GetScopes(), s.GetScope()) || slices.Contains(mine.GetScopes(), clavis.ScopeAll) {
					yours = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.GetScope(), yours, strings.Join(s.GetDependingScopes(), ","))
			}
			if endpoints {
				fmt.Fprintln(tw, "\nENDPOINT\tNEEDS")
				for _, e := range all.GetEndpointDeps() {
					fmt.Fprintf(tw, "%s\t%s\n", e.GetEndpoint(), strings.Join(e.GetDependingScopes(), ","))
				}
			}
			tw.Flush()
		}, all, mine)
	})
	c.Flags().StringVar(&keyType, "key-type", "pat", "the scopes of this kind of key: pat or app (an app-specific key)")
	c.Flags().BoolVar(&endpoints, "endpoints", false, "also list each method with the scopes it needs")
	return c
}
