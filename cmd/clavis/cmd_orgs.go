package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	orgsv1 "github.com/clavis-dev/clavis/api/gen/clavis/orgs/v1"
)

func orgCmd(env *Env) *cobra.Command {
	return group("org", "Manage organizations, their members, teams and key policy", `  clavis org create acme && clavis app create acme/vision
  clavis org member add acme bob --role contributor --scopes Apps:Get,Predict
  clavis org team put acme vision-team --scopes Predict --members bob --apps vision`,
		orgCreateCmd(env), orgListCmd(env), orgDeleteCmd(env),
		group("member", "Manage the members of an organization: add, list, remove", `  clavis org member add acme bob --role admin
  clavis org member list acme`,
			orgMemberAddCmd(env), orgMemberListCmd(env), orgMemberRemoveCmd(env)),
		group("team", "Manage the teams of an organization: put, list, delete", `  clavis org team put acme vision-team --scopes Predict --members bob --apps vision
  clavis org team list acme`,
			orgTeamPutCmd(env), orgTeamListCmd(env), orgTeamDeleteCmd(env)),
		orgPolicyCmd(env))
}

func orgCreateCmd(env *Env) *cobra.Command {
	var name string
	c := clientCmd(env, &cobra.Command{
		Use:     "create ORG_ID [--name N]",
		Short:   "Create an organization; you become its admin",
		Example: `  clavis org create acme --name "Acme Inc."`,
		Args:    exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.CreateOrg(ctx, &orgsv1.CreateOrgRequest{Id: args[0], Name: name})
		return cl.done(resp, err, "Created organization %s; you are its admin. Its apps are OWNER/APP = %s/APP.", args[0], args[0])
	})
	c.Flags().StringVar(&name, "name", "", "display name")
	return c
}

func orgListCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "list",
		Short:   "List the organizations you belong to",
		Example: `  clavis org list`,
		Args:    exactArgs(),
	}, func(ctx context.Context, cl *client, _ []string) error {
		resp, err := cl.orgs.ListOrgs(ctx, &orgsv1.ListOrgsRequest{PerPage: 1000})
		return cl.table(resp, err, "ID\tNAME\tCREATED", func(row func(...any)) {
			for _, o := range resp.GetOrgs() {
				row(o.GetId(), o.GetName(), fmtTime(o.GetCreatedAt(), o.GetCreatedAt() != nil))
			}
		})
	})
}

func orgDeleteCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "delete ORG_ID",
		Short:   "Delete an organization with its apps and teams",
		Example: `  clavis org delete acme`,
		Args:    exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.DeleteOrg(ctx, &orgsv1.OrgRequest{OrgId: args[0]})
		return cl.done(resp, err, "Deleted organization %s with its apps and teams", args[0])
	})
}

var roleNames = map[string]orgsv1.Role{"admin": orgsv1.Role_ADMIN, "contributor": orgsv1.Role_ORG_CONTRIBUTOR, "org-contributor": orgsv1.Role_ORG_CONTRIBUTOR, "team-contributor": orgsv1.Role_TEAM_CONTRIBUTOR}

func orgMemberAddCmd(env *Env) *cobra.Command {
	var role, scopes string
	c := clientCmd(env, &cobra.Command{
		Use:   "add ORG_ID USER_ID|EMAIL [--role R] [--scopes S]",
		Short: "Add a member to an organization, or change a member's role",
		Long: `Add a member to an organization, or change a member's role. Admins manage
the organization and reach all its apps; contributors reach all its apps
with --scopes; team contributors reach the apps of their teams. See
docs/access.md.`,
		Example: `  clavis org member add acme bob --role contributor --scopes Apps:Get,Predict
  clavis org member add acme carol@example.com --role admin`,
		Args: exactArgs("ORG_ID", "USER_ID|EMAIL"),
		PreRunE: func(*cobra.Command, []string) error {
			if _, ok := roleNames[role]; !ok {
				return usagef("--role must be admin, contributor or team-contributor, not %q", role)
			}
			return nil
		},
	}, func(ctx context.Context, cl *client, args []string) error {
		m := &orgsv1.Member{UserId: args[1], Role: roleNames[role], Scopes: splitList(scopes)}
		if strings.Contains(args[1], "@") {
			m = &orgsv1.Member{Email: args[1], Role: roleNames[role], Scopes: splitList(scopes)}
		}
		resp, err := cl.orgs.PutMember(ctx, &orgsv1.PutMemberRequest{OrgId: args[0], Member: m})
		return cl.done(resp, err, "%s is now %s of %s", resp.GetMember().GetUserId(), role, args[0])
	})
	c.Flags().StringVar(&role, "role", "team-contributor", "member role: admin, contributor or team-contributor")
	c.Flags().StringVar(&scopes, "scopes", "", "comma-separated scopes of a contributor")
	return c
}

func orgMemberListCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "list ORG_ID",
		Short:   "List the members of an organization with their roles",
		Example: `  clavis org member list acme`,
		Args:    exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.ListMembers(ctx, &orgsv1.ListMembersRequest{OrgId: args[0], PerPage: 1000})
		return cl.table(resp, err, "USER\tROLE\tSCOPES", func(row func(...any)) {
			for _, m := range resp.GetMembers() {
				row(m.GetUserId(), strings.ToLower(m.GetRole().String()), strings.Join(m.GetScopes(), ","))
			}
		})
	})
}

func orgMemberRemoveCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "remove ORG_ID USER_ID",
		Short:   "Remove a member from an organization",
		Example: `  clavis org member remove acme bob`,
		Args:    exactArgs("ORG_ID", "USER_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.RemoveMember(ctx, &orgsv1.RemoveMemberRequest{OrgId: args[0], UserId: args[1]})
		return cl.done(resp, err, "Removed %s from %s", args[1], args[0])
	})
}

func orgTeamPutCmd(env *Env) *cobra.Command {
	var name, scopes, members, apps string
	c := clientCmd(env, &cobra.Command{
		Use:     "put ORG_ID TEAM_ID --scopes S [--members U1,U2] [--apps A1,A2] [--name N]",
		Short:   "Create or replace a team: its members reach its apps with its scopes",
		Example: `  clavis org team put acme vision-team --scopes Apps:Get,Predict --members bob,carol --apps vision`,
		Args:    exactArgs("ORG_ID", "TEAM_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.PutTeam(ctx, &orgsv1.PutTeamRequest{OrgId: args[0], Team: &orgsv1.Team{Id: args[1], Name: name, Scopes: splitList(scopes), MemberIds: splitList(members), AppIds: splitList(apps)}})
		t := resp.GetTeam()
		return cl.done(resp, err, "Team %s of %s: members %v, apps %v, scopes %v", args[1], args[0], t.GetMemberIds(), t.GetAppIds(), t.GetScopes())
	})
	c.Flags().StringVar(&name, "name", "", "display name")
	c.Flags().StringVar(&scopes, "scopes", "", "comma-separated scopes the team has on its apps")
	c.Flags().StringVar(&members, "members", "", "comma-separated user ids of the team's members")
	c.Flags().StringVar(&apps, "apps", "", "comma-separated ids of the organization's apps the team reaches")
	return c
}

func orgTeamListCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "list ORG_ID",
		Short:   "List the teams of an organization",
		Example: `  clavis org team list acme`,
		Args:    exactArgs("ORG_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.ListTeams(ctx, &orgsv1.ListTeamsRequest{OrgId: args[0], PerPage: 1000})
		return cl.table(resp, err, "TEAM\tSCOPES\tMEMBERS\tAPPS", func(row func(...any)) {
			for _, t := range resp.GetTeams() {
				row(t.GetId(), strings.Join(t.GetScopes(), ","), strings.Join(t.GetMemberIds(), ","), strings.Join(t.GetAppIds(), ","))
			}
		})
	})
}

func orgTeamDeleteCmd(env *Env) *cobra.Command {
	return clientCmd(env, &cobra.Command{
		Use:     "delete ORG_ID TEAM_ID",
		Short:   "Delete a team of an organization",
		Example: `  clavis org team delete acme vision-team`,
		Args:    exactArgs("ORG_ID", "TEAM_ID"),
	}, func(ctx context.Context, cl *client, args []string) error {
		resp, err := cl.orgs.DeleteTeam(ctx, &orgsv1.TeamRequest{OrgId: args[0], TeamId: args[1]})
		return cl.done(resp, err, "Deleted team %s of %s", args[1], args[0])
	})
}
