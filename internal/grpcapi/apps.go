package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// appSpec reads the fields of an App that a caller may set. Empty strings
// leave a field unchanged on patch (proto3 cannot tell them from unset).
func appSpec(a *pb.App) service.AppSpec {
	sp := service.AppSpec{ID: a.GetId(), Visibility: clavis.Visibility(a.GetVisibility().GetGettable())}
	set := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	sp.Name, sp.Description, sp.DefaultLanguage, sp.Notes = set(a.GetName()), set(a.GetDescription()), set(a.GetDefaultLanguage()), set(a.GetNotes())
	return sp
}

func appsToPB(as []*clavis.App) []*pb.App {
	out := make([]*pb.App, len(as))
	for i, a := range as {
		out[i] = appToPB(a)
	}
	return out
}

// PostApps creates apps owned by the caller.
func (s *Server) PostApps(ctx context.Context, req *pb.PostAppsRequest) (*pb.MultiAppResponse, error) {
	specs := make([]service.AppSpec, len(req.GetApps()))
	for i, a := range req.GetApps() {
		specs[i] = appSpec(a)
	}
	apps, err := s.svc.CreateApps(ctx, access(ctx), specs)
	if err != nil {
		return nil, err
	}
	return &pb.MultiAppResponse{Apps: appsToPB(apps)}, nil
}

// GetApp returns the target app.
func (s *Server) GetApp(ctx context.Context, req *pb.GetAppRequest) (*pb.SingleAppResponse, error) {
	return &pb.SingleAppResponse{App: appToPB(access(ctx).App)}, nil
}

// ListApps lists the caller's apps.
func (s *Server) ListApps(ctx context.Context, req *pb.ListAppsRequest) (*pb.MultiAppResponse, error) {
	apps, err := s.svc.ListApps(ctx, access(ctx), clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiAppResponse{Apps: appsToPB(apps)}, nil
}

// PatchApps changes apps of the caller.
func (s *Server) PatchApps(ctx context.Context, req *pb.PatchAppsRequest) (*pb.MultiAppResponse, error) {
	specs := make([]service.AppSpec, len(req.GetApps()))
	for i, a := range req.GetApps() {
		specs[i] = appSpec(a)
	}
	apps, err := s.svc.PatchApps(ctx, access(ctx), req.GetAction(), specs)
	if err != nil {
		return nil, err
	}
	return &pb.MultiAppResponse{Apps: appsToPB(apps)}, nil
}

// PatchApp changes the target app.
func (s *Server) PatchApp(ctx context.Context, req *pb.PatchAppRequest) (*pb.SingleAppResponse, error) {
	app, err := s.svc.PatchApp(ctx, access(ctx), req.GetAction(), appSpec(req.GetApp()))
	if err != nil {
		return nil, err
	}
	return &pb.SingleAppResponse{App: appToPB(app)}, nil
}

// DeleteApp deletes the target app with its keys.
func (s *Server) DeleteApp(ctx context.Context, req *pb.DeleteAppRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteApp(ctx, access(ctx)); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}
