package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// apiReference is the OpenAPI document made readable: operations grouped
// by service, with their parameters, request and response types, and every
// type with its fields. It is built once, when the handler is made.
type apiReference struct {
	Title, Description string
	Services           []apiService
	Types              []apiType
}

type apiService struct {
	Name string
	Ops  []apiOp
}

// apiOp is one RPC with its REST bindings.
type apiOp struct {
	Name, Anchor, Summary string
	Bindings              []apiBinding
	Params                []apiField // path and query parameters of the first binding
	Body, Response        apiTypeRef
}

type apiBinding struct{ Verb, Path string }

type apiTypeRef struct{ Name, Anchor string }

type apiType struct {
	Name, Anchor, Description string
	Fields                    []apiField
	Enum                      []string
}

type apiField struct {
	Name, In, Type, Description string
	Ref                         apiTypeRef // set when the field is of a documented type
	Required                    bool
}

// swagger is the part of a Swagger 2.0 document the reference reads.
type swagger struct {
	Info struct {
		Title, Description string
	}
	Tags []struct {
		Name string
	}
	Paths       map[string]map[string]swaggerOp
	Definitions map[string]swaggerSchema
}

type swaggerOp struct {
	Summary     string
	OperationID string
	Tags        []string
	Parameters  []struct {
		Name, In, Type, Format, Description string
		Required                            bool
		Schema                              *swaggerSchema
	}
	Responses map[string]struct {
		Schema *swaggerSchema
	}
}

type swaggerSchema struct {
	Ref         string `json:"$ref"`
	Type        string
	Format      string
	Title       string
	Description string
	Items       *swaggerSchema
	Properties  map[string]swaggerSchema
	Enum        []string
	// AdditionalProperties is a schema (a map's values) or a boolean.
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
}

func anchorOf(name string) string { return "type-" + name }

func refOf(s *swaggerSchema) apiTypeRef {
	if s == nil || !strings.HasPrefix(s.Ref, "#/definitions/") {
		return apiTypeRef{}
	}
	n := strings.TrimPrefix(s.Ref, "#/definitions/")
	return apiTypeRef{Name: n, Anchor: anchorOf(n)}
}

// typeName describes a schema's type in words: string, int64, list of …,
// map of …, or a named type.
func typeName(s *swaggerSchema) (string, apiTypeRef) {
	switch {
	case s == nil:
		return "", apiTypeRef{}
	case s.Ref != "":
		r := refOf(s)
		return r.Name, r
	case s.Type == "array":
		n, r := typeName(s.Items)
		return "list of " + n, r
	case s.Type == "object" && len(s.AdditionalProperties) > 0 && s.AdditionalProperties[0] == '{':
		var v swaggerSchema
		if json.Unmarshal(s.AdditionalProperties, &v) != nil {
			return "map", apiTypeRef{}
		}
		n, r := typeName(&v)
		return "map of " + n, r
	case s.Format != "":
		return s.Format, apiTypeRef{}
	}
	return s.Type, apiTypeRef{}
}

func newAPIReference(doc []byte) (*apiReference, error) {
	var sw swagger
	if err := json.Unmarshal(doc, &sw); err != nil {
		return nil, err
	}
	ref := &apiReference{Title: sw.Info.Title, Description: sw.Info.Description}
	byTag := map[string]*apiService{}
	for _, t := range sw.Tags {
		ref.Services = append(ref.Services, apiService{Name: t.Name})
	}
	for i := range ref.Services {
		byTag[ref.Services[i].Name] = &ref.Services[i]
	}
	paths := make([]string, 0, len(sw.Paths))
	for p := range sw.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	byName := map[string]*apiOp{}
	var order []string
	tagOf := map[string]string{}
	for _, p := range paths {
		for v, op := range sw.Paths[p] {
			// Additional bindings of one RPC get operation ids with a
			// number appended: V2_GetApp, V2_GetApp2.
			id := strings.TrimRight(op.OperationID, "0123456789")
			name := id[strings.IndexByte(id, '_')+1:]
			o, ok := byName[id]
			if !ok {
				o = &apiOp{Name: name, Anchor: "op-" + id}
				byName[id] = o
				order = append(order, id)
				tagOf[id] = "V2"
				if len(op.Tags) > 0 {
					tagOf[id] = op.Tags[0]
				}
			}
			o.Bindings = append(o.Bindings, apiBinding{Verb: strings.ToUpper(v), Path: p})
			if o.Summary == "" {
				o.Summary = op.Summary
			}
			if len(o.Bindings) > 1 {
				continue
			}
			for _, prm := range op.Parameters {
				if prm.In == "body" {
					o.Body = refOf(prm.Schema)
					continue
				}
				t := prm.Type
				if prm.Format != "" {
					t = prm.Format
				}
				o.Params = append(o.Params, apiField{Name: prm.Name, In: prm.In, Type: t, Description: prm.Description, Required: prm.Required})
			}
			if r, ok := op.Responses["200"]; ok {
				o.Response = refOf(r.Schema)
			}
		}
	}
	sort.Strings(order)
	for _, id := range order {
		o := byName[id]
		// The shortest path first: the Clarifai path with user_app_id in
		// it, then its shorthand forms.
		sort.SliceStable(o.Bindings, func(i, j int) bool { return len(o.Bindings[i].Path) > len(o.Bindings[j].Path) })
		svc, ok := byTag[tagOf[id]]
		if !ok {
			ref.Services = append(ref.Services, apiService{Name: tagOf[id]})
			for i := range ref.Services {
				byTag[ref.Services[i].Name] = &ref.Services[i]
			}
			svc = byTag[tagOf[id]]
		}
		svc.Ops = append(svc.Ops, *o)
	}
	names := make([]string, 0, len(sw.Definitions))
	for n := range sw.Definitions {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, n := range names {
		d := sw.Definitions[n]
		t := apiType{Name: n, Anchor: anchorOf(n), Description: strings.TrimSpace(d.Title + "\n" + d.Description), Enum: d.Enum}
		fields := make([]string, 0, len(d.Properties))
		for f := range d.Properties {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			s := d.Properties[f]
			tn, r := typeName(&s)
			t.Fields = append(t.Fields, apiField{Name: f, Type: tn, Ref: r, Description: strings.TrimSpace(s.Title + "\n" + s.Description)})
		}
		ref.Types = append(ref.Types, t)
	}
	return ref, nil
}

func (h *Handler) apiReferencePage(rq *request) error {
	return rq.render(http.StatusOK, "api.html", view{Title: "API reference", Nav: "docs", Data: struct {
		Ref  *apiReference
		Host string
	}{h.ref, rq.r.Host}})
}
