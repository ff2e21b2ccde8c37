package service

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// FuzzMetadata reads metadata JSON as requests carry it (a
// google.protobuf.Struct), checks it as inputs are, and applies it as a
// patch to other metadata with each action: nothing may panic, what is
// accepted must encode as JSON and convert back to a Struct for answers,
// and each action must do what it says at the top level.
func FuzzMetadata(f *testing.F) {
	f.Fuzz(func(t *testing.T, oldJSON, patchJSON []byte) {
		var olds, patchs structpb.Struct
		if protojson.Unmarshal(oldJSON, &olds) != nil || protojson.Unmarshal(patchJSON, &patchs) != nil {
			return
		}
		old, patch := olds.AsMap(), patchs.AsMap()
		if checkMetadata("metadata", old) != nil || checkMetadata("metadata", patch) != nil {
			return
		}
		for _, action := range []string{ActionMerge, ActionOverwrite, ActionRemove} {
			got := patchMetadata(action, old, patch)
			if _, err := json.Marshal(got); err != nil {
				t.Fatalf("%s: result does not encode: %v", action, err)
			}
			if _, err := structpb.NewStruct(got); err != nil {
				t.Fatalf("%s: result is no Struct: %v", action, err)
			}
			for k, v := range patch {
				_, has := got[k]
				obj, isObj := v.(map[string]any)
				_, oldObj := old[k].(map[string]any)
				switch {
				case action != ActionRemove && !has:
					t.Fatalf("%s: key %q of the patch is missing", action, k)
				case action == ActionRemove && has && !(isObj && oldObj && len(obj) > 0):
					t.Fatalf("remove: key %q is still there", k)
				}
			}
		}
	})
}
