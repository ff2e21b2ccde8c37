package clavis

// ConceptMatch names a concept of a search by id, or else by name, and the
// value it must have.
type ConceptMatch struct {
	ID   string
	Name string
	// Value is, for a user's label, 1 (or more) to find the inputs labelled
	// with the concept present and 0 for those labelled with it absent;
	// for a model's prediction, the least value predicted.
	Value float32
}

// InputCond is one filter of a search. Every field that is set must hold
// (AND); Negate keeps the inputs for which they do not all hold.
type InputCond struct {
	Negate bool
	IDs    []string
	Status InputStatus
	// Labels match the concepts users labelled the whole input with.
	Labels []ConceptMatch
	// Predicted match the concepts that the model PredictedBy predicted
	// for the whole input.
	Predicted []ConceptMatch
	// Metadata matches inputs whose metadata holds it: every key of it,
	// at any depth, with an equal value (a JSON subset match).
	Metadata map[string]any
}

// ConceptRank orders the hits of a search by a concept's value: the
// highest that a user labelled the whole input with or that the model
// PredictedBy predicted for it (a label present counts 1, one absent 0).
// Inputs with neither are no hits.
type ConceptRank struct {
	Concept ConceptMatch
}

// InputQuery is a search of an app's inputs: the inputs every one of
// Conds keeps, scored by Rank (every hit scores 1 without one), best
// first, ties by id; hits scoring under MinScore are left out.
type InputQuery struct {
	Conds    []InputCond
	Rank     *ConceptRank
	MinScore float32
	// PredictedBy is the id of the model whose predictions Predicted and
	// Rank match.
	PredictedBy string
}

// ScoredInput is a hit of a search: an input id and its score.
type ScoredInput struct {
	ID    string
	Score float32
}
