package grpcapi

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/clavis-dev/clavis/clavis"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func visibility(v clavis.Visibility) *pb.Visibility {
	return &pb.Visibility{Gettable: pb.Visibility_Gettable(v)}
}

func appToPB(a *clavis.App) *pb.App {
	return &pb.App{
		Id: a.ID, Name: a.Name, UserId: a.OwnerID, Description: a.Description, DefaultLanguage: a.DefaultLanguage,
		Notes: a.Notes, Visibility: visibility(a.Visibility), CreatedAt: ts(a.CreatedAt), ModifiedAt: ts(a.UpdatedAt),
	}
}

// keyToPB converts a key. id is what goes in Key.id: the secret token right
// after creation, the public id everywhere else.
func keyToPB(k *clavis.Key, id string) *pb.Key {
	out := &pb.Key{
		Id: id, Description: k.Description, Scopes: k.Scopes.Names(), Endpoints: k.Endpoints, Type: string(k.Type),
		CreatedAt: ts(k.CreatedAt), ExpiresAt: ts(k.ExpiresAt), Hint: k.Hint, LastUsedAt: ts(k.LastUsedAt),
		ReplacedBy: k.ReplacedBy, LastUsedAddr: k.LastUsedAddr, AllowedCidrs: k.AllowCIDRs,
	}
	if k.RateLimit > 0 {
		out.RateLimit = wrapperspb.UInt32(uint32(k.RateLimit))
	}
	if k.App != nil {
		out.Apps = []*pb.App{{Id: k.App.AppID, UserId: k.App.OwnerID}}
	}
	return out
}

func userToPB(u *clavis.User) *pb.User {
	return &pb.User{
		Id: u.ID, FirstName: u.FirstName, LastName: u.LastName, CreatedAt: ts(u.CreatedAt),
		UserDetail: &pb.UserDetail{PrimaryEmail: u.Email},
	}
}

func conceptsToPB(cs []clavis.Concept, app clavis.AppRef) []*pb.Concept {
	out := make([]*pb.Concept, len(cs))
	for i, c := range cs {
		out[i] = &pb.Concept{Id: c.ID, Name: c.Name, Value: c.Value, AppId: app.AppID, UserId: app.OwnerID}
	}
	return out
}

// modelVersionToPB converts a version of m. Its status is MODEL_TRAINED, or
// MODEL_NOT_DEPLOYED with the reason for a model this server cannot run.
func modelVersionToPB(m *clavis.Model, v clavis.ModelVersion) *pb.ModelVersion {
	status := &st.Status{Code: st.StatusCode_MODEL_TRAINED, Description: "Model is trained and ready for deployment"}
	if m.NotDeployed != "" {
		status = StatusOf(clavis.Errorf(clavis.EModelNotDeployed, "%s", m.NotDeployed))
	}
	return &pb.ModelVersion{
		Id: v.ID, CreatedAt: ts(v.CreatedAt), ModifiedAt: ts(v.CreatedAt), CompletedAt: ts(v.CreatedAt),
		Status:             status,
		ActiveConceptCount: uint32(len(m.Concepts)), Description: v.Description,
		Visibility: visibility(m.Visibility), AppId: m.AppID, UserId: m.OwnerID,
		OutputInfo: &pb.OutputInfo{
			Data:    &pb.Data{Concepts: conceptsToPB(m.Concepts, clavis.AppRef{OwnerID: m.OwnerID, AppID: m.AppID})},
			Message: m.Description,
		},
	}
}

func modelToPB(m *clavis.Model, v clavis.ModelVersion) *pb.Model {
	return &pb.Model{
		Id: m.ID, Name: m.Name, DisplayName: m.Name, CreatedAt: ts(m.CreatedAt), ModifiedAt: ts(v.CreatedAt),
		AppId: m.AppID, UserId: m.OwnerID, ModelTypeId: m.TypeID, Visibility: visibility(m.Visibility),
		Description: m.Description, ModelVersion: modelVersionToPB(m, v), VersionCount: int32(len(m.Versions)),
		Toolkits: []string{}, UseCases: []string{},
	}
}

// modelDetailToPB converts m as GetModel describes it: with the output info
// also in the deprecated model.output_info, which older clients read, as
// well as in model.model_version.output_info. Lists leave it out.
func modelDetailToPB(m *clavis.Model, v clavis.ModelVersion) *pb.Model {
	out := modelToPB(m, v)
	out.OutputInfo = proto.CloneOf(out.GetModelVersion().GetOutputInfo())
	return out
}

func predictionToPB(p *clavis.Prediction, app clavis.AppRef) *pb.Data {
	d := &pb.Data{Concepts: conceptsToPB(p.Concepts, app)}
	for _, r := range p.Regions {
		reg := &pb.Region{
			Id: r.ID, Value: r.Value,
			RegionInfo: &pb.RegionInfo{BoundingBox: &pb.BoundingBox{TopRow: r.Box.Top, LeftCol: r.Box.Left, BottomRow: r.Box.Bottom, RightCol: r.Box.Right}},
			Data:       &pb.Data{Concepts: conceptsToPB(r.Concepts, app)},
		}
		if r.Text != "" {
			reg.Data.Text = &pb.Text{Raw: r.Text}
		}
		d.Regions = append(d.Regions, reg)
	}
	for _, c := range p.Colors {
		d.Colors = append(d.Colors, &pb.Color{RawHex: c.Hex, W3C: &pb.W3C{Hex: c.W3CHex, Name: c.W3CName}, Value: c.Value})
	}
	for _, e := range p.Embeddings {
		d.Embeddings = append(d.Embeddings, &pb.Embedding{Vector: e.Vector, NumDimensions: uint32(len(e.Vector))})
	}
	return d
}

// outputConfig reads the per-call output configuration, from
// model.output_info (deprecated but what clients send) or
// model.model_version.output_info.
func outputConfig(m *pb.Model) clavis.OutputConfig {
	oc := m.GetOutputInfo().GetOutputConfig()
	if oc == nil {
		oc = m.GetModelVersion().GetOutputInfo().GetOutputConfig()
	}
	cfg := clavis.OutputConfig{MaxConcepts: int(oc.GetMaxConcepts()), MinValue: oc.GetMinValue()}
	for _, c := range oc.GetSelectConcepts() {
		if c.GetId() != "" {
			cfg.SelectConcepts = append(cfg.SelectConcepts, c.GetId())
		}
		if c.GetName() != "" {
			cfg.SelectConcepts = append(cfg.SelectConcepts, c.GetName())
		}
	}
	return cfg
}
