package grpcapi

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// regionsFromPB reads the regions of an annotation: boxes and polygons.
func regionsFromPB(rs []*pb.Region) []clavis.Region {
	out := make([]clavis.Region, len(rs))
	for i, r := range rs {
		ri := r.GetRegionInfo()
		b := ri.GetBoundingBox()
		out[i] = clavis.Region{ID: r.GetId(), Value: r.GetValue(), Concepts: labelsFromPB(r.GetData().GetConcepts()),
			Box: clavis.BoundingBox{Top: b.GetTopRow(), Left: b.GetLeftCol(), Bottom: b.GetBottomRow(), Right: b.GetRightCol()}}
		for _, p := range ri.GetPolygon().GetPoints() {
			out[i].Polygon = append(out[i].Polygon, clavis.Point{Row: p.GetRow(), Col: p.GetCol()})
		}
	}
	return out
}

func regionsToPB(rs []clavis.Region, app clavis.AppRef) []*pb.Region {
	out := make([]*pb.Region, len(rs))
	for i, r := range rs {
		ri := &pb.RegionInfo{}
		if len(r.Polygon) > 0 {
			ri.Polygon = &pb.Polygon{}
			for _, p := range r.Polygon {
				ri.Polygon.Points = append(ri.Polygon.Points, &pb.Point{Row: p.Row, Col: p.Col})
			}
		} else {
			ri.BoundingBox = &pb.BoundingBox{TopRow: r.Box.Top, LeftCol: r.Box.Left, BottomRow: r.Box.Bottom, RightCol: r.Box.Right}
		}
		out[i] = &pb.Region{Id: r.ID, Value: r.Value, RegionInfo: ri, Data: &pb.Data{Concepts: conceptsToPB(r.Concepts, app)}}
	}
	return out
}

func annotationSpec(a *pb.Annotation) service.AnnotationSpec {
	return service.AnnotationSpec{ID: a.GetId(), InputID: a.GetInputId(), Concepts: labelsFromPB(a.GetData().GetConcepts()),
		Regions: regionsFromPB(a.GetData().GetRegions())}
}

func annotationSpecs(as []*pb.Annotation) []service.AnnotationSpec {
	out := make([]service.AnnotationSpec, len(as))
	for i, a := range as {
		out[i] = annotationSpec(a)
	}
	return out
}

// annotationToPB converts an annotation, naming its worker: the user, or the
// model and version that predicted it.
func annotationToPB(a *clavis.Annotation) *pb.Annotation {
	out := &pb.Annotation{
		Id: a.ID, InputId: a.InputID, InputLevel: a.InputLevel, CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.UpdatedAt),
		Status: &st.Status{Code: st.StatusCode_ANNOTATION_SUCCESS, Description: "Annotation success"},
		Data:   &pb.Data{Concepts: conceptsToPB(a.Concepts, a.App), Regions: regionsToPB(a.Regions, a.App)},
	}
	if m := a.Worker.Model; m != nil {
		out.ModelVersionId = m.VersionID
		out.Worker = &pb.Worker{Worker: &pb.Worker_Model{Model: &pb.Model{Id: m.ID, AppId: m.App.AppID, UserId: m.App.OwnerID,
			ModelVersion: &pb.ModelVersion{Id: m.VersionID, AppId: m.App.AppID, UserId: m.App.OwnerID}}}}
	} else {
		out.UserId = a.Worker.UserID
		out.Worker = &pb.Worker{Worker: &pb.Worker_User{User: &pb.User{Id: a.Worker.UserID}}}
	}
	return out
}

func annotationsToPB(as []*clavis.Annotation) []*pb.Annotation {
	out := make([]*pb.Annotation, len(as))
	for i, a := range as {
		out[i] = annotationToPB(a)
	}
	return out
}

// PostAnnotations adds annotations to inputs of the target app.
func (s *Server) PostAnnotations(ctx context.Context, req *pb.PostAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	as, err := s.svc.AddAnnotations(ctx, access(ctx), annotationSpecs(req.GetAnnotations()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiAnnotationResponse{Annotations: annotationsToPB(as)}, nil
}

// ListAnnotations lists annotations of the target app.
func (s *Server) ListAnnotations(ctx context.Context, req *pb.ListAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	q := service.AnnotationQuery{IDs: req.GetIds(), InputIDs: req.GetInputIds(), UserIDs: req.GetUserIds(),
		ModelVersionIDs: req.GetModelVersionIds(), All: req.GetListAllAnnotations()}
	as, err := s.svc.ListAnnotations(ctx, access(ctx), q, clavis.NewPage(req.GetPage(), req.GetPerPage()))
	if err != nil {
		return nil, err
	}
	return &pb.MultiAnnotationResponse{Annotations: annotationsToPB(as)}, nil
}

// PatchAnnotations changes annotations of the target app.
func (s *Server) PatchAnnotations(ctx context.Context, req *pb.PatchAnnotationsRequest) (*pb.MultiAnnotationResponse, error) {
	as, err := s.svc.PatchAnnotations(ctx, access(ctx), req.GetAction(), annotationSpecs(req.GetAnnotations()), req.GetDeleteIfEmptyData())
	if err != nil {
		return nil, err
	}
	return &pb.MultiAnnotationResponse{Annotations: annotationsToPB(as)}, nil
}

// DeleteAnnotation deletes an annotation of an input of the target app.
func (s *Server) DeleteAnnotation(ctx context.Context, req *pb.DeleteAnnotationRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteAnnotation(ctx, access(ctx), req.GetInputId(), req.GetAnnotationId()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}

// DeleteAnnotations deletes annotations of the target app by id or input.
func (s *Server) DeleteAnnotations(ctx context.Context, req *pb.DeleteAnnotationsRequest) (*st.BaseResponse, error) {
	if err := s.svc.DeleteAnnotations(ctx, access(ctx), req.GetIds(), req.GetInputIds()); err != nil {
		return nil, err
	}
	return &st.BaseResponse{}, nil
}
