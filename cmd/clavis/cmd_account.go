package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
)

func runLogin(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	fs.StringVar(&f.pat, "pat", "", "your Personal Access Token (default: CLAVIS_PAT, else read from standard input)")
	if err := parseFlags(fs, env, args, 0, "login [--addr HOST:PORT] [--pat TOKEN]"); err != nil {
		return err
	}
	if f.addr == "" {
		f.addr = env.Getenv("CLAVIS_ADDR")
	}
	if f.addr == "" {
		f.addr = DefaultConfig().Addr
	}
	if f.pat == "" {
		f.pat = env.Getenv("CLAVIS_PAT")
	}
	if f.pat == "" {
		fmt.Fprint(env.Stderr, "Personal Access Token: ")
		var line string
		fmt.Fscanln(env.Stdin, &line)
		f.pat = strings.TrimSpace(line)
	}
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.v2.GetUser(cctx, &pb.GetUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	if err := c.check(resp, err); err != nil {
		return fmt.Errorf("the server refused the PAT: %w", err)
	}
	path, err := saveConfig(env, clientConfig{Addr: f.addr, PAT: f.pat})
	if err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Logged in to %s as %s (saved in %s)\n", f.addr, resp.GetUser().GetId(), path)
	return nil
}

func runWhoami(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	if err := parseFlags(fs, env, args, 0, "whoami"); err != nil {
		return err
	}
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	u, err := c.v2.GetUser(cctx, &pb.GetUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	if err := c.check(u, err); err != nil {
		return err
	}
	sc, err := c.v2.MyScopesUser(cctx, &pb.MyScopesUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})
	if err := c.check(sc, err); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(env.Stdout, "user:   %s\n", u.GetUser().GetId())
		if e := u.GetUser().GetUserDetail().GetPrimaryEmail(); e != "" {
			fmt.Fprintf(env.Stdout, "email:  %s\n", e)
		}
		fmt.Fprintf(env.Stdout, "scopes: %s\n", strings.Join(sc.GetScopes(), ", "))
	}
	return nil
}
