package bindings

import (
	"fmt"
	"strings"
)

// A Template is a parsed path template of the form google.api.http rules
// use for Clarifai's paths: literal segments and single-segment variables
// ("{name}" or "{name=*}"). Wildcards over several segments and custom
// verbs are refused, since no binding of Clarifai's uses them.
type Template struct {
	raw  string
	segs []segment
}

type segment struct {
	lit  string // the literal, when name is ""
	name string // the variable's field path, when a variable
}

// ParseTemplate parses a path template.
func ParseTemplate(path string) (Template, error) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok || rest == "" {
		return Template{}, fmt.Errorf("path template %q must start with / and name a path", path)
	}
	t := Template{raw: path}
	for _, s := range strings.Split(rest, "/") {
		switch {
		case s == "":
			return Template{}, fmt.Errorf("path template %q has an empty segment", path)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name := strings.TrimSuffix(s[1:len(s)-1], "=*")
			if name == "" || strings.ContainsAny(name, "{}=*:") {
				return Template{}, fmt.Errorf("path template %q: unsupported variable %s", path, s)
			}
			t.segs = append(t.segs, segment{name: name})
		case strings.ContainsAny(s, "{}*:"):
			return Template{}, fmt.Errorf("path template %q: unsupported segment %q", path, s)
		default:
			t.segs = append(t.segs, segment{lit: s})
		}
	}
	return t, nil
}

// String returns the template as written.
func (t Template) String() string { return t.raw }

// Match reports whether the request path p (escaped, as on the wire)
// matches t: the same number of segments, every literal equal, every
// variable a non-empty segment.
func (t Template) Match(p string) bool {
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return false
	}
	for i, s := range t.segs {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" || s.name == "" && seg != s.lit || more != (i < len(t.segs)-1) {
			return false
		}
		rest = tail
	}
	return true
}

// MoreSpecific reports whether t takes precedence over u for a path both
// match: at the first segment where one has a literal and the other a
// variable, the literal wins, so that /v2/models/types is not taken for a
// model id. Neither takes precedence over a template of the same shape.
func (t Template) MoreSpecific(u Template) bool {
	for i := range min(len(t.segs), len(u.segs)) {
		tv, uv := t.segs[i].name != "", u.segs[i].name != ""
		if tv != uv {
			return uv
		}
	}
	return false
}

// Overlaps reports whether some path matches both t and u: they have as
// many segments, and wherever both have a literal it is the same.
func (t Template) Overlaps(u Template) bool {
	if len(t.segs) != len(u.segs) {
		return false
	}
	for i, s := range t.segs {
		if s.name == "" && u.segs[i].name == "" && s.lit != u.segs[i].lit {
			return false
		}
	}
	return true
}

// Expand returns the path with each variable replaced by value(name).
func (t Template) Expand(value func(name string) string) string {
	var b strings.Builder
	for _, s := range t.segs {
		b.WriteByte('/')
		if s.name != "" {
			b.WriteString(value(s.name))
		} else {
			b.WriteString(s.lit)
		}
	}
	return b.String()
}
