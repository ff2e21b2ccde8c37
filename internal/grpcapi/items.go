package grpcapi

import (
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// Item limits bound what one request may carry, so that no call runs a
// transaction or a loop longer than a batch: the chain checks them after
// authentication and before the method's rule or handler does any work.
// docs/errors.md ("Request limits") lists them; ItemLimits returns them.
const (
	// MaxBatchItems caps the top-level batch of a request (apps, keys,
	// inputs, concepts, annotations, collaborators, ids): Clarifai's
	// documented 128. BenchmarkMaxBatch (cmd/clavis) times the largest
	// allowed batch of each write; docs/errors.md gives the figures.
	MaxBatchItems = service.MaxBatch
	// MaxRequestItems caps the messages in the lists and maps of one
	// request, all levels together (select_concepts aside, which are only
	// read): 128 inputs with 7 concepts each, say, but not 128 with 128.
	MaxRequestItems = 1024
	// maxPageItems caps the ids a list call filters on: its largest page.
	maxPageItems = 1000
	// maxScopeItems caps lists of scopes and endpoints: more than every
	// scope and RPC name there is.
	maxScopeItems = 1024
	// maxSmallItems caps lists that hold a few values in any real request.
	maxSmallItems = 16
	// maxMetadataItems caps the fields of one metadata object and the
	// values of one metadata list.
	maxMetadataItems = 1000
)

// itemLimits is the most elements each repeated or map field of a request
// may hold, by the field's full name. Every such field reachable from a
// request of Server's services has an entry (TestItemLimitsCoverEveryField
// keeps it so): a new field needs a decision here.
var itemLimits = map[protoreflect.FullName]int{
	// Top-level batches.
	"clarifai.api.PostAppsRequest.apps":                        MaxBatchItems,
	"clarifai.api.PatchAppsRequest.apps":                       MaxBatchItems,
	"clarifai.api.PostKeysRequest.keys":                        MaxBatchItems,
	"clarifai.api.PatchKeysRequest.keys":                       MaxBatchItems,
	"clarifai.api.PostCollaboratorsRequest.collaborators":      MaxBatchItems,
	"clarifai.api.PatchCollaboratorsRequest.collaborators":     MaxBatchItems,
	"clarifai.api.DeleteCollaboratorsRequest.collaborator_ids": MaxBatchItems,
	"clarifai.api.DeleteCollaboratorsRequest.user_emails":      MaxBatchItems,
	"clarifai.api.PostInputsRequest.inputs":                    MaxBatchItems,
	"clarifai.api.PatchInputsRequest.inputs":                   MaxBatchItems,
	"clarifai.api.DeleteInputsRequest.ids":                     MaxBatchItems,
	"clarifai.api.ListInputsRequest.ids":                       maxPageItems,
	"clarifai.api.PostModelOutputsRequest.inputs":              MaxBatchItems,
	"clarifai.api.PostConceptsRequest.concepts":                MaxBatchItems,
	"clarifai.api.PatchConceptsRequest.concepts":               MaxBatchItems,
	"clarifai.api.PostAnnotationsRequest.annotations":          MaxBatchItems,
	"clarifai.api.PatchAnnotationsRequest.annotations":         MaxBatchItems,
	"clarifai.api.DeleteAnnotationsRequest.ids":                MaxBatchItems,
	"clarifai.api.DeleteAnnotationsRequest.input_ids":          MaxBatchItems,
	"clarifai.api.ListAnnotationsRequest.ids":                  maxPageItems,
	"clarifai.api.ListAnnotationsRequest.input_ids":            maxPageItems,
	"clarifai.api.ListAnnotationsRequest.user_ids":             maxPageItems,
	"clarifai.api.ListAnnotationsRequest.model_version_ids":    maxPageItems,
	"clarifai.api.ListModelVersionsRequest.concept_ids":        maxPageItems,
	// Searches: a few queries of a few clauses each.
	"clarifai.api.PostSearchesRequest.searches":            maxSmallItems,
	"clarifai.api.PostInputsSearchesRequest.searches":      maxSmallItems,
	"clarifai.api.PostAnnotationsSearchesRequest.searches": maxSmallItems,
	"clarifai.api.Query.ands":                              maxSmallItems,
	"clarifai.api.Query.filters":                           maxSmallItems,
	"clarifai.api.Query.ranks":                             maxSmallItems,
	// Filters and selections.
	"clarifai.api.OutputConfig.select_concepts":        1000,
	"clarifai.api.ListKeysRequest.scopes":              maxScopeItems,
	"clarifai.api.ListKeysRequest.endpoints":           maxScopeItems,
	"clarifai.api.GetAppRequest.additional_fields":     maxSmallItems,
	"clarifai.api.ListAppsRequest.additional_fields":   maxSmallItems,
	"clarifai.api.GetModelRequest.additional_fields":   maxSmallItems,
	"clarifai.api.ListModelsRequest.additional_fields": maxSmallItems,
	"clarifai.api.GetUserRequest.additional_fields":    maxSmallItems,
	// The token lifecycle: revocation by value takes GitHub's 1000; audit
	// searches filter on a few values of each kind.
	"clavis.tokens.v1.RevokeCredentialsRequest.credentials": service.MaxRevokeCredentials,
	"clavis.tokens.v1.SearchAuditRequest.events":            maxSmallItems,
	"clavis.tokens.v1.SearchAuditRequest.actor_ids":         maxPageItems,
	"clavis.tokens.v1.SearchAuditRequest.source_ips":        maxPageItems,
	"clarifai.api.AuditLogQuery.operations":                 maxSmallItems * 8,
	"clarifai.api.AuditLogQuery.user_ids":                   maxPageItems,
	"clarifai.api.AuditLogQuery.source_ips":                 maxPageItems,
	"clarifai.api.AuditLogQuery.targets":                    maxPageItems,
	// Inside the items of a batch.
	"clarifai.api.Key.allowed_cidrs":         maxPageItems,
	"clarifai.api.Key.apps":                  maxSmallItems,
	"clarifai.api.Key.scopes":                maxScopeItems,
	"clarifai.api.Key.endpoints":             maxScopeItems,
	"clarifai.api.Key.authorized_idp_ids":    maxSmallItems,
	"clarifai.api.Collaborator.scopes":       maxScopeItems,
	"clarifai.api.Collaborator.endpoints":    maxScopeItems,
	"clarifai.api.Data.concepts":             MaxBatchItems,
	"clarifai.api.Data.regions":              MaxBatchItems,
	"clarifai.api.Data.colors":               MaxBatchItems,
	"clarifai.api.Data.embeddings":           maxSmallItems,
	"clarifai.api.Embedding.vector":          8192,
	"clarifai.api.Polygon.points":            1024,
	"clarifai.api.HostedURL.sizes":           maxSmallItems,
	"clarifai.api.Input.dataset_ids":         maxSmallItems,
	"clarifai.api.Model.languages":           maxSmallItems,
	"clarifai.api.Model.toolkits":            maxSmallItems,
	"clarifai.api.Model.use_cases":           maxSmallItems,
	"clarifai.api.status.Status.stack_trace": maxSmallItems,
	"clavis.orgs.v1.Member.scopes":           maxScopeItems,
	"clavis.orgs.v1.Team.scopes":             maxScopeItems,
	"clavis.orgs.v1.Team.app_ids":            MaxBatchItems,
	"clavis.orgs.v1.Team.member_ids":         MaxBatchItems,
	// Metadata (google.protobuf.Struct) at any depth.
	"google.protobuf.Struct.fields":    maxMetadataItems,
	"google.protobuf.ListValue.values": maxMetadataItems,
}

// uncounted are the lists left out of MaxRequestItems: selections that the
// call reads and never writes, bounded by their own limit.
var uncounted = map[protoreflect.FullName]bool{"clarifai.api.OutputConfig.select_concepts": true}

// ItemLimits returns a copy of the item limits by field full name, for
// tests and documentation.
func ItemLimits() map[string]int {
	out := make(map[string]int, len(itemLimits))
	for k, v := range itemLimits {
		out[string(k)] = v
	}
	return out
}

// checkItems refuses, as EInvalid naming the field and its limit, a request
// with a repeated or map field over its limit or more than MaxRequestItems
// messages in lists and maps in all. It reads the decoded request only.
func checkItems(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	r := m.ProtoReflect()
	if !holdsLists(r.Descriptor()) {
		return nil
	}
	total := 0
	return walkItems(r, &total)
}

// listHolders caches holdsLists by message type.
var listHolders sync.Map // protoreflect.FullName → bool

// holdsLists reports whether a message of type md can hold a list or map
// at any depth; the walk skips the messages that cannot (most requests
// name only their target).
func holdsLists(md protoreflect.MessageDescriptor) bool {
	if v, ok := listHolders.Load(md.FullName()); ok {
		return v.(bool)
	}
	b := reachesList(md, map[protoreflect.FullName]bool{})
	listHolders.Store(md.FullName(), b)
	return b
}

// reachesList is holdsLists, searching the types not yet seen.
func reachesList(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.IsList() || fd.IsMap() {
			return true
		}
		if sub := fd.Message(); sub != nil && !seen[sub.FullName()] && reachesList(sub, seen) {
			return true
		}
	}
	return false
}

func walkItems(m protoreflect.Message, total *int) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		n := 0
		switch {
		case fd.IsList():
			n = v.List().Len()
		case fd.IsMap():
			n = v.Map().Len()
		}
		if fd.IsList() || fd.IsMap() {
			limit, ok := itemLimits[fd.FullName()]
			if !ok {
				limit = maxSmallItems
			}
			if n > limit {
				err = clavis.Errorf(clavis.EInvalid, "%s carries %d items; the limit is %d per request", fieldPath(fd), n, limit)
				return false
			}
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			if uncounted[fd.FullName()] {
				break
			}
			if *total += n; *total > MaxRequestItems {
				err = tooManyItems(*total)
				return false
			}
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = walkItems(l.Get(i).Message(), total)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			if *total += n; *total > MaxRequestItems {
				err = tooManyItems(*total)
				return false
			}
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = walkItems(mv.Message(), total)
				return err == nil
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil && holdsLists(fd.Message()):
			err = walkItems(v.Message(), total)
		}
		return err == nil
	})
	return err
}

func tooManyItems(n int) error {
	return clavis.Errorf(clavis.EInvalid, "the request carries more than %d items in its lists at all levels (%d so far); the limit is %d per request", MaxRequestItems, n, MaxRequestItems)
}

// fieldPath names a field as clients see it: the message's name and the
// field's (PostAppsRequest.apps, Data.concepts).
func fieldPath(fd protoreflect.FieldDescriptor) string {
	return fmt.Sprintf("%s.%s", fd.ContainingMessage().Name(), fd.Name())
}
