package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// auditPerPage is how many entries an audit log page shows.
const auditPerPage = 50

// maxAuditPage bounds the page number, so that its offset stays small.
const maxAuditPage = 10_000

// auditData is the audit log page: the entries the filter selects among
// those the caller may read (SearchAudit's rule and view).
type auditData struct {
	Entries []*clavis.AuditEntry
	Filter  auditFilter
	Events  []clavis.AuditEvent
	// Admin callers read every entry and may name a user or organization.
	Admin      bool
	Page       int
	Prev, Next string
}

// auditFilter is the audit page's query, as its form and links carry it.
type auditFilter struct {
	Event   string // one event, "" for all
	Outcome string // "", "failed" or "succeeded"
	Since   string // YYYY-MM-DD, from 00:00 UTC
	Until   string // YYYY-MM-DD, up to 24:00 UTC
	User    string // whose entries: "" for the caller's view
}

func (f auditFilter) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"event": f.Event, "outcome": f.Outcome, "since": f.Since, "until": f.Until, "user": f.User} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// query reads the filter as SearchAudit's query; a bad value is EInvalid.
func (f auditFilter) query() (service.AuditQuery, error) {
	q := service.AuditQuery{Target: f.User}
	if f.Event != "" {
		q.Events = []clavis.AuditEvent{clavis.AuditEvent(f.Event)}
	}
	switch f.Outcome {
	case "":
	case "failed", "succeeded":
		ok := f.Outcome == "succeeded"
		q.Success = &ok
	default:
		return q, clavis.Errorf(clavis.EInvalid, "outcome %q is not failed or succeeded", f.Outcome)
	}
	var err error
	if q.Since, err = auditDate("since", f.Since); err != nil {
		return q, err
	}
	if q.Until, err = auditDate("until", f.Until); err != nil {
		return q, err
	}
	if !q.Until.IsZero() {
		q.Until = q.Until.Add(day) // the whole day
	}
	return q, nil
}

func auditDate(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, clavis.Errorf(clavis.EInvalid, "%s %q is not a date such as 2026-12-01", name, v)
	}
	return t, nil
}

func (h *Handler) auditPage(rq *request) error {
	qs := rq.r.URL.Query()
	f := auditFilter{Event: qs.Get("event"), Outcome: qs.Get("outcome"), Since: qs.Get("since"), Until: qs.Get("until"), User: qs.Get("user")}
	n, _ := strconv.Atoi(qs.Get("page"))
	n = min(max(1, n), maxAuditPage)
	d := auditData{Filter: f, Events: clavis.AuditEvents, Admin: rq.user.Admin, Page: n}
	v := view{Title: "Audit log", Nav: "audit", Data: &d}
	q, err := f.query()
	if err == nil {
		d.Entries, err = h.svc.SearchAudit(rq.ctx(), rq.acc, q, clavis.Page{Number: n, Size: auditPerPage})
	}
	var after []*clavis.AuditEntry
	if err == nil && len(d.Entries) == auditPerPage {
		// The entry after this page, on a page of one, says whether
		// there is a next page.
		after, err = h.svc.SearchAudit(rq.ctx(), rq.acc, q, clavis.Page{Number: n*auditPerPage + 1, Size: 1})
	}
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return err
		}
		v.Error = clavis.ErrorMessage(err)
		return rq.render(httpStatus(err), "audit.html", v)
	}
	link := func(n int) string {
		q := f.values()
		q.Set("page", strconv.Itoa(n))
		return "/settings/audit?" + q.Encode()
	}
	if len(after) > 0 && n < maxAuditPage {
		d.Next = link(n + 1)
	}
	if n > 1 {
		d.Prev = link(n - 1)
	}
	return rq.render(http.StatusOK, "audit.html", v)
}
