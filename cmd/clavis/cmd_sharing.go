package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

// appRef reads "APP" (the caller's) or "OWNER/APP" (a user's or an org's).
func appRef(s string) *pb.UserAppIDSet {
	if owner, app, ok := strings.Cut(s, "/"); ok {
		return &pb.UserAppIDSet{UserId: owner, AppId: app}
	}
	return &pb.UserAppIDSet{UserId: "me", AppId: s}
}

// runCollab implements `clavis collab add|list|update|remove`.
func runCollab(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("usage: clavis collab add|list|update|remove")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("collab "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	app := fs.String("app", "", "the app: APP_ID (yours) or OWNER/APP_ID (required)")
	scopes := fs.String("scopes", "", "comma-separated scopes to grant, e.g. Apps:Get,Models:Get,Concepts:Get,Predict")
	var usage string
	nargs := 1
	switch sub {
	case "add", "update":
		usage = "collab " + sub + " --app APP --scopes S USER_ID|EMAIL"
	case "list":
		usage, nargs = "collab list --app APP", 0
	case "remove":
		usage = "collab remove --app APP USER_ID|EMAIL"
	default:
		return usagef("unknown subcommand %q: use add, list, update or remove", sub)
	}
	if err := parseFlags(fs, env, args, nargs, usage); err != nil {
		return err
	}
	if *app == "" {
		return usagef("--app is required")
	}
	c, cctx, done, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	uai := appRef(*app)
	who := fs.Arg(0)
	user := &pb.User{Id: who}
	if strings.Contains(who, "@") {
		user = &pb.User{UserDetail: &pb.UserDetail{PrimaryEmail: who}}
	}
	collab := &pb.Collaborator{User: user, Scopes: splitList(*scopes)}
	switch sub {
	case "add":
		resp, err := c.v2.PostCollaborators(cctx, &pb.PostCollaboratorsRequest{UserAppId: uai, Collaborators: []*pb.Collaborator{collab}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Added %s to %s with scopes %s\n", resp.GetCollaborators()[0].GetUser().GetId(), *app, strings.Join(resp.GetCollaborators()[0].GetScopes(), ","))
		}
	case "update":
		resp, err := c.v2.PatchCollaborators(cctx, &pb.PatchCollaboratorsRequest{UserAppId: uai, Action: "overwrite", Collaborators: []*pb.Collaborator{collab}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Updated %s on %s\n", who, *app)
		}
	case "remove":
		req := &pb.DeleteCollaboratorsRequest{UserAppId: uai}
		if strings.Contains(who, "@") {
			req.UserEmails = []string{who}
		} else {
			req.CollaboratorIds = []string{who}
		}
		resp, err := c.v2.DeleteCollaborators(cctx, req)
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(env.Stdout, "Removed %s from %s\n", who, *app)
		}
	case "list":
		resp, err := c.v2.ListCollaborators(cctx, &pb.ListCollaboratorsRequest{UserAppId: uai, PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "USER\tEMAIL\tSCOPES\tADDED")
			for _, cb := range resp.GetCollaborators() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cb.GetUser().GetId(), cb.GetUser().GetUserDetail().GetPrimaryEmail(), strings.Join(cb.GetScopes(), ","), fmtTime(cb.GetCreatedAt(), cb.GetCreatedAt() != nil))
			}
			tw.Flush()
		}
	}
	return nil
}

var roleNames = map[string]orgsv1.Role{"admin": orgsv1.Role_ADMIN, "contributor": orgsv1.Role_ORG_CONTRIBUTOR, "org-contributor": orgsv1.Role_ORG_CONTRIBUTOR, "team-contributor": orgsv1.Role_TEAM_CONTRIBUTOR}

// runOrg implements `clavis org create|list|delete|member ...|team ...`.
func runOrg(ctx context.Context, env *Env, args []string) error {
	const usageAll = "usage: clavis org create|list|delete|member add|list|remove|team put|list|delete"
	if len(args) == 0 {
		return usagef(usageAll)
	}
	sub, args := args[0], args[1:]
	if (sub == "member" || sub == "team") && len(args) > 0 {
		sub, args = sub+" "+args[0], args[1:]
	}
	fs := flag.NewFlagSet("org "+sub, flag.ContinueOnError)
	var f clientFlags
	f.bind(fs)
	name := fs.String("name", "", "display name")
	role := fs.String("role", "team-contributor", "member role: admin, contributor or team-contributor")
	scopes := fs.String("scopes", "", "comma-separated scopes (contributors and teams)")
	members := fs.String("members", "", "comma-separated member user ids of the team")
	apps := fs.String("apps", "", "comma-separated app ids of the team")
	usages := map[string]struct {
		usage string
		nargs int
	}{
		"create": {"org create ORG_ID [--name N]", 1}, "list": {"org list", 0}, "delete": {"org delete ORG_ID", 1},
		"member add":    {"org member add ORG_ID USER_ID|EMAIL [--role R] [--scopes S]", 2},
		"member list":   {"org member list ORG_ID", 1},
		"member remove": {"org member remove ORG_ID USER_ID", 2},
		"team put":      {"org team put ORG_ID TEAM_ID --scopes S [--members U1,U2] [--apps A1,A2] [--name N]", 2},
		"team list":     {"org team list ORG_ID", 1},
		"team delete":   {"org team delete ORG_ID TEAM_ID", 2},
	}
	u, ok := usages[sub]
	if !ok {
		return usagef(usageAll)
	}
	if err := parseFlags(fs, env, args, u.nargs, u.usage); err != nil {
		return err
	}
	c, cctx, release, err := connect(ctx, env, f)
	if err != nil {
		return err
	}
	defer release()
	orgs := orgsv1.NewOrgsClient(c.conn)
	a0, a1 := fs.Arg(0), fs.Arg(1)
	done := func(format string, args ...any) {
		if !c.json {
			fmt.Fprintf(env.Stdout, format+"\n", args...)
		}
	}
	switch sub {
	case "create":
		resp, err := orgs.CreateOrg(cctx, &orgsv1.CreateOrgRequest{Id: a0, Name: *name})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("Created organization %s; you are its admin. Its apps are OWNER/APP = %s/APP.", a0, a0)
	case "list":
		resp, err := orgs.ListOrgs(cctx, &orgsv1.ListOrgsRequest{PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED")
			for _, o := range resp.GetOrgs() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", o.GetId(), o.GetName(), fmtTime(o.GetCreatedAt(), o.GetCreatedAt() != nil))
			}
			tw.Flush()
		}
	case "delete":
		resp, err := orgs.DeleteOrg(cctx, &orgsv1.OrgRequest{OrgId: a0})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("Deleted organization %s with its apps and teams", a0)
	case "member add":
		r, ok := roleNames[*role]
		if !ok {
			return usagef("--role must be admin, contributor or team-contributor")
		}
		m := &orgsv1.Member{UserId: a1, Role: r, Scopes: splitList(*scopes)}
		if strings.Contains(a1, "@") {
			m = &orgsv1.Member{Email: a1, Role: r, Scopes: splitList(*scopes)}
		}
		resp, err := orgs.PutMember(cctx, &orgsv1.PutMemberRequest{OrgId: a0, Member: m})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("%s is now %s of %s", resp.GetMember().GetUserId(), *role, a0)
	case "member list":
		resp, err := orgs.ListMembers(cctx, &orgsv1.ListMembersRequest{OrgId: a0, PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "USER\tROLE\tSCOPES")
			for _, m := range resp.GetMembers() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", m.GetUserId(), strings.ToLower(m.GetRole().String()), strings.Join(m.GetScopes(), ","))
			}
			tw.Flush()
		}
	case "member remove":
		resp, err := orgs.RemoveMember(cctx, &orgsv1.RemoveMemberRequest{OrgId: a0, UserId: a1})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("Removed %s from %s", a1, a0)
	case "team put":
		resp, err := orgs.PutTeam(cctx, &orgsv1.PutTeamRequest{OrgId: a0, Team: &orgsv1.Team{Id: a1, Name: *name, Scopes: splitList(*scopes), MemberIds: splitList(*members), AppIds: splitList(*apps)}})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("Team %s of %s: members %v, apps %v, scopes %v", a1, a0, resp.GetTeam().GetMemberIds(), resp.GetTeam().GetAppIds(), resp.GetTeam().GetScopes())
	case "team list":
		resp, err := orgs.ListTeams(cctx, &orgsv1.ListTeamsRequest{OrgId: a0, PerPage: 1000})
		if err := c.check(resp, err); err != nil {
			return err
		}
		if !c.json {
			tw := newTable(env)
			fmt.Fprintln(tw, "TEAM\tSCOPES\tMEMBERS\tAPPS")
			for _, t := range resp.GetTeams() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.GetId(), strings.Join(t.GetScopes(), ","), strings.Join(t.GetMemberIds(), ","), strings.Join(t.GetAppIds(), ","))
			}
			tw.Flush()
		}
	case "team delete":
		resp, err := orgs.DeleteTeam(cctx, &orgsv1.TeamRequest{OrgId: a0, TeamId: a1})
		if err := c.check(resp, err); err != nil {
			return err
		}
		done("Deleted team %s of %s", a1, a0)
	}
	return nil
}
