package grpcapi

import (
	"context"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	tokensv1 "github.com/clavis-dev/clavis/api/gen/clavis/tokens/v1"
)

// eventTypes maps the audit events that Clarifai's EventType names to it.
// Key, log-in and failure events have no EventType: the Tokens service
// reads them.
var eventTypes = map[clavis.AuditEvent]pb.EventType{
	clavis.AuditMemberAdd:       pb.EventType_ORGANIZATION_MEMBER_ADD,
	clavis.AuditMemberChange:    pb.EventType_ORGANIZATION_MEMBER_CHANGE,
	clavis.AuditMemberRemove:    pb.EventType_ORGANIZATION_MEMBER_REMOVE,
	clavis.AuditTeamCreate:      pb.EventType_ORGANIZATION_TEAM_CREATE,
	clavis.AuditTeamUpdate:      pb.EventType_ORGANIZATION_TEAM_UPDATE,
	clavis.AuditTeamDelete:      pb.EventType_ORGANIZATION_TEAM_DELETE,
	clavis.AuditAppCreate:       pb.EventType_APPLICATION_CREATE,
	clavis.AuditAppUpdate:       pb.EventType_APPLICATION_UPDATE,
	clavis.AuditAppDelete:       pb.EventType_APPLICATION_DELETE,
	clavis.AuditCollaboratorAdd: pb.EventType_COLLABORATOR_ADD,
	clavis.AuditCollaboratorSet: pb.EventType_COLLABORATOR_UPDATE,
	clavis.AuditCollaboratorDel: pb.EventType_COLLABORATOR_REMOVE,
	clavis.AuditUserDisable:     pb.EventType_USER_UPDATE,
	clavis.AuditUserEnable:      pb.EventType_USER_UPDATE,
	clavis.AuditUserPassword:    pb.EventType_USER_UPDATE,
	clavis.AuditPasswordChange:  pb.EventType_USER_UPDATE,
}

// eventsOf returns the audit events of Clarifai's operations, all that have
// an EventType for none; an operation Clavis never records selects nothing.
func eventsOf(ops []pb.EventType) []clavis.AuditEvent {
	var out []clavis.AuditEvent
	for ev, t := range eventTypes {
		if len(ops) == 0 {
			out = append(out, ev)
			continue
		}
		for _, op := range ops {
			if op == t {
				out = append(out, ev)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func auditLogEntry(e *clavis.AuditEntry) *pb.AuditLogEntry {
	out := &pb.AuditLogEntry{
		Timestamp: ts(e.At), Operation: eventTypes[e.Event], Description: string(e.Event), Success: e.Success,
		ReqId: e.ReqID, SourceIp: e.SourceIP,
	}
	if e.ActorID != "" {
		out.User = &pb.User{Id: e.ActorID}
	}
	if e.SubjectID != "" {
		out.Targets = append(out.Targets, &pb.AuditLogTarget{Target: &pb.AuditLogTarget_User{User: &pb.User{Id: e.SubjectID}}})
	}
	if e.App != nil {
		out.Targets = append(out.Targets, &pb.AuditLogTarget{Target: &pb.AuditLogTarget_App{App: &pb.App{Id: e.App.AppID, UserId: e.App.OwnerID}}})
	}
	if e.OrgID != "" {
		out.Details = append(out.Details, "organization "+e.OrgID)
	}
	if e.Details != "" {
		out.Details = append(out.Details, e.Details)
	}
	return out
}

// PostAuditLogSearches is Clarifai's audit log search, for the events its
// EventType names.
func (s *Server) PostAuditLogSearches(ctx context.Context, req *pb.PostAuditLogSearchesRequest) (*pb.MultiAuditLogEntryResponse, error) {
	qr := req.GetQuery()
	events := eventsOf(qr.GetOperations())
	if len(events) == 0 {
		return &pb.MultiAuditLogEntryResponse{}, nil
	}
	if len(qr.GetTargets()) > 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "query.targets is not supported: select by user_ids, operations, time, success or source_ips")
	}
	q := service.AuditQuery{
		Target: req.GetUserAppId().GetUserId(), ActorIDs: qr.GetUserIds(), Since: fromTS(qr.GetTimestampFrom()), Until: fromTS(qr.GetTimestampTo()),
		Events: events, SourceIPs: qr.GetSourceIps(), Ascending: req.GetSortAscending(),
	}
	if qr.GetSuccess() != nil {
		v := qr.GetSuccess().GetValue()
		q.Success = &v
	}
	es, err := s.svc.SearchAudit(ctx, access(ctx), q, clavis.NewPage(req.GetPagination().GetPage(), req.GetPagination().GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*pb.AuditLogEntry, len(es))
	for i, e := range es {
		out[i] = auditLogEntry(e)
	}
	return &pb.MultiAuditLogEntryResponse{Entries: out}, nil
}

// TokensServer implements the token lifecycle service.
type TokensServer struct {
	tokensv1.UnimplementedTokensServer
	*Server
}

func auditEntry(e *clavis.AuditEntry) *tokensv1.AuditEntry {
	out := &tokensv1.AuditEntry{
		Id: e.ID, At: ts(e.At), Event: string(e.Event), Success: e.Success, ActorId: e.ActorID, ActorKeyId: e.ActorKeyID,
		SubjectId: e.SubjectID, KeyId: e.KeyID, OrgId: e.OrgID, Details: e.Details, SourceIp: e.SourceIP, ReqId: e.ReqID,
		Count: uint32(e.Count), Until: ts(e.Until),
	}
	if e.App != nil {
		out.AppOwnerId, out.AppId = e.App.OwnerID, e.App.AppID
	}
	return out
}

// SearchAudit lists audit entries of every event.
func (s TokensServer) SearchAudit(ctx context.Context, req *tokensv1.SearchAuditRequest) (*tokensv1.SearchAuditResponse, error) {
	q := service.AuditQuery{
		Target: req.GetUserId(), ActorIDs: req.GetActorIds(), Since: fromTS(req.GetSince()), Until: fromTS(req.GetUntil()),
		SourceIPs: req.GetSourceIps(), KeyID: req.GetKeyId(), Ascending: req.GetAscending(),
	}
	for _, ev := range req.GetEvents() {
		q.Events = append(q.Events, clavis.AuditEvent(ev))
	}
	if req.GetSuccess() != nil {
		v := req.GetSuccess().GetValue()
		q.Success = &v
	}
	es, err := s.svc.SearchAudit(ctx, access(ctx), q, clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	out := make([]*tokensv1.AuditEntry, len(es))
	for i, e := range es {
		out[i] = auditEntry(e)
	}
	return &tokensv1.SearchAuditResponse{Entries: out}, nil
}

// RotateKey replaces one of the caller's keys with a new secret, keeping the
// old one valid for the grace period.
func (s TokensServer) RotateKey(ctx context.Context, req *tokensv1.RotateKeyRequest) (*tokensv1.RotateKeyResponse, error) {
	var grace time.Duration
	if g := req.GetGrace(); g != nil {
		if err := g.CheckValid(); err != nil {
			return nil, clavis.Errorf(clavis.EInvalid, "grace: %v", err)
		}
		grace = g.AsDuration()
	}
	r, err := s.svc.RotateKey(ctx, access(ctx), req.GetKeyId(), grace)
	if err != nil {
		return nil, err
	}
	return &tokensv1.RotateKeyResponse{Key: keyToPB(r.New.Key, r.New.Token), OldKey: s.keyToPB(ctx, r.Old, r.Old.ID)}, nil
}

// RevokeCredentials revokes leaked tokens by value, for anyone. Its answer
// is the same whatever was found; REST answers it 202 Accepted.
func (s TokensServer) RevokeCredentials(ctx context.Context, req *tokensv1.RevokeCredentialsRequest) (*tokensv1.RevokeCredentialsResponse, error) {
	if err := s.svc.RevokeCredentials(ctx, req.GetCredentials()); err != nil {
		return nil, err
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(HTTPStatusHeader, "202"))
	return &tokensv1.RevokeCredentialsResponse{Status: &st.Status{Code: st.StatusCode_SUCCESS, Description: "Accepted"}}, nil
}
