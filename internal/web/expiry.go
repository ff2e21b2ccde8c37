package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// presetDays are the lifetimes a new key may be given in one click, in
// days; the form also offers a date and, when the policy allows, none.
var presetDays = []int{7, 30, 60, 90}

// Form values of the expiry choices besides a number of days.
const (
	expiryNever  = "never"
	expiryCustom = "custom"
)

const day = 24 * time.Hour

// expiryField is the expiry part of a key's create form: the choices the
// instance's policy allows for the key's type, with why others are not.
type expiryField struct {
	Choices []expiryChoice
	Chosen  string // the value of the chosen choice
	Date    string // the custom date, YYYY-MM-DD
	// DateMin and DateMax bound the date input: tomorrow, and the last
	// day the policy allows ("" without a maximum).
	DateMin, DateMax string
	// Policy explains the policy; "" when there is none.
	Policy string
}

type expiryChoice struct {
	Value, Label string
}

// expiryField is the expiry part of the form creating a key of type t for
// the caller (app: its app), under the policy that governs it.
func (h *Handler) expiryField(rq *request, t clavis.KeyType, app *clavis.AppRef) (expiryField, error) {
	p, err := h.svc.KeyPolicyFor(rq.ctx(), t, rq.user.ID, app)
	if err != nil {
		return expiryField{}, err
	}
	return newExpiryField(p, t, h.now(), rq.form("expires"), rq.form("expires_date")), nil
}

// newExpiryField offers the expiries policy p of keys of type t allows to
// a key created now, with chosen and date as the form had them ("" for the
// default: no expiry when allowed, else the longest preset allowed).
func newExpiryField(p service.KeyPolicy, t clavis.KeyType, now time.Time, chosen, date string) expiryField {
	f := expiryField{Chosen: chosen, Date: date, DateMin: now.UTC().Add(day).Format(time.DateOnly)}
	for _, d := range presetDays {
		if p.MaxLifetime == 0 || time.Duration(d)*day <= p.MaxLifetime {
			f.Choices = append(f.Choices, expiryChoice{Value: strconv.Itoa(d), Label: plural(d, "day")})
		}
	}
	f.Choices = append(f.Choices, expiryChoice{Value: expiryCustom, Label: "Custom date"})
	never := p.MaxLifetime == 0 && !p.ExpiryRequired
	if never {
		f.Choices = append([]expiryChoice{{Value: expiryNever, Label: "No expiry"}}, f.Choices...)
	}
	kind := "Personal Access Tokens"
	if t == clavis.KeyTypeApp {
		kind = "API keys"
	}
	switch {
	case p.MaxLifetime > 0:
		last := now.Add(p.MaxLifetime)
		f.DateMax = last.UTC().Format(time.DateOnly)
		f.Policy = fmt.Sprintf("%s: %s must expire within %s of their creation, so no later than %s.",
			capital(p.Source()), kind, lifetimeWords(p.MaxLifetime), last.UTC().Format("2 Jan 2006 15:04 UTC"))
	case p.ExpiryRequired:
		f.Policy = fmt.Sprintf("%s: %s must expire; choose when.", capital(p.Source()), kind)
	}
	if f.Chosen == "" {
		switch {
		case never:
			f.Chosen = expiryNever
		case len(f.Choices) > 1:
			f.Chosen = f.Choices[len(f.Choices)-2].Value // the longest preset
		default:
			f.Chosen = expiryCustom
		}
	}
	return f
}

// capital returns s with its first letter in upper case.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lifetimeWords writes a lifetime in days when it is whole days.
func lifetimeWords(d time.Duration) string {
	if d%day == 0 {
		return plural(int(d/day), "day")
	}
	return d.String()
}

// formExpiry reads the chosen expiry of a new key: none, a preset number of
// days from now, or the start (00:00 UTC) of a custom date. The policy
// itself is the service's to enforce.
func (rq *request) formExpiry() (time.Time, error) {
	now := rq.h.now()
	switch v := rq.form("expires"); v {
	case "", expiryNever, "0":
		return time.Time{}, nil
	case expiryCustom:
		ds := rq.form("expires_date")
		if ds == "" {
			return time.Time{}, clavis.Errorf(clavis.EInvalid, "choose the date the key expires, or another expiry")
		}
		d, err := time.Parse(time.DateOnly, ds)
		if err != nil {
			return time.Time{}, clavis.Errorf(clavis.EInvalid, "the expiry date %q is not a date such as %s", ds, now.UTC().Add(30*day).Format(time.DateOnly))
		}
		if !d.After(now) {
			return time.Time{}, clavis.Errorf(clavis.EInvalid, "the expiry date %s is not in the future: a key expires at 00:00 UTC of its date", ds)
		}
		return d, nil
	default:
		for _, c := range presetDays {
			if strconv.Itoa(c) == v {
				return now.Add(time.Duration(c) * day), nil
			}
		}
		return time.Time{}, clavis.Errorf(clavis.EInvalid, "expiry %q is not one of the choices: none, 7, 30, 60 or 90 days, or a date", v)
	}
}

// formAllowlist reads the client addresses a key is limited to: CIDRs or
// addresses separated by new lines, commas or spaces.
func (rq *request) formAllowlist() []string {
	return strings.FieldsFunc(rq.form("allowed_cidrs"), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}
