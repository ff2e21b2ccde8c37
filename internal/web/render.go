package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

//go:embed templates static
var files embed.FS

// assetVersion names the current static files in their URLs, so browsers
// may keep them for a year and still fetch new ones after an upgrade.
var assetVersion = func() string {
	h := sha256.New()
	fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := files.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

func staticHandler() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") == assetVersion {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fsrv.ServeHTTP(w, r)
	})
}

func faviconHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := files.ReadFile("static/favicon.svg")
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(b)
	})
}

// pages holds every page template, each parsed with the layout.
type pages struct{ t map[string]*template.Template }

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"ago":      ago,
	"scopes":   func(s clavis.ScopeSet) []string { return s.Names() },
	"initial": func(s string) string {
		if s == "" {
			return "?"
		}
		return strings.ToUpper(s[:1])
	},
	"asset": func(name string) string { return "/static/" + name + "?v=" + assetVersion },
}

// ago says how long before now t was, in words.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24), "day") + " ago"
	}
	return t.UTC().Format("2 Jan 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, err
		}
		p.t[base] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string // the navigation item to mark current
	User   *clavis.User
	CSRF   string
	Signup bool
	Notice string // a confirmation of what was just done
	Error  string // what went wrong with the form
	Host   string // the host the browser reached, for examples
	Data   any
}

// notices are the confirmations a redirect may ask for with ?done=…; the
// text is fixed here, so a link cannot make the portal say anything else.
var notices = map[string]string{
	"pat-updated":    "The Personal Access Token was updated. The API uses its new scopes from the next request.",
	"pat-deleted":    "The Personal Access Token was deleted. It no longer works.",
	"app-created":    "The app was created.",
	"app-updated":    "The app's settings were saved.",
	"app-deleted":    "The app was deleted, with its API keys and collaborators.",
	"key-updated":    "The API key was updated. The API uses its new scopes from the next request.",
	"key-deleted":    "The API key was deleted. It no longer works.",
	"collab-added":   "The collaborator was added.",
	"collab-updated": "The collaborator's scopes were updated.",
	"collab-removed": "The collaborator was removed.",
	"password-set":   "Your password was changed. Your other sessions have ended.",
	"user-disabled":  "The user was disabled: their tokens and sessions stopped working.",
	"user-enabled":   "The user was enabled.",
	"user-password":  "The user's password was reset. They must choose a new one at their next log-in.",
	"logged-out":     "You have logged out.",
	"org-created":    "The organization was created. You are its admin.",
	"org-deleted":    "The organization was deleted, with its apps and teams.",
	"org-left":       "You left the organization.",
	"member-added":   "The member was added. They reach the organization's apps from their next request.",
	"member-updated": "The member's role was changed.",
	"member-removed": "The member was removed.",
	"team-created":   "The team was created.",
	"team-updated":   "The team was saved.",
	"team-deleted":   "The team was deleted.",
	"inputs-added":   "The images were added. The app's base model annotates them in the background.",
	"input-deleted":  "The input was deleted, with its image and annotations.",
	"inputs-deleted": "The selected inputs were deleted, with their images and annotations.",
}

// render writes a page with the given status. Every page is private to
// its viewer and may hold a secret: none is stored by any cache.
func (rq *request) render(status int, name string, v view) error {
	t, ok := rq.h.pages.t[name]
	if !ok {
		return clavis.Internal(fmt.Errorf("no page %s", name))
	}
	v.User, v.Signup, v.Host = rq.user, rq.h.signup, rq.r.Host
	v.CSRF = rq.csrfToken()
	if v.Notice == "" {
		v.Notice = notices[rq.r.URL.Query().Get("done")]
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		return clavis.Internal(fmt.Errorf("render %s: %w", name, err))
	}
	hd := rq.w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	rq.w.WriteHeader(status)
	rq.w.Write(b.Bytes())
	return nil
}

// httpStatus is the HTTP status of a domain error.
func httpStatus(err error) int {
	switch clavis.ErrorCode(err) {
	case clavis.EInvalid, clavis.EInputInvalid, clavis.EInputBytes, clavis.EInputURL, clavis.EInputDownload, clavis.EBadFormat:
		return http.StatusBadRequest
	case clavis.EInputTooLarge:
		return http.StatusRequestEntityTooLarge
	case clavis.EModelNotDeployed, clavis.EModelLoading:
		return http.StatusServiceUnavailable
	case clavis.ENotFound, clavis.EModelNotFound:
		return http.StatusNotFound
	case clavis.EConflict, clavis.EInputDuplicate:
		return http.StatusConflict
	case clavis.EUnsupported:
		return http.StatusUnsupportedMediaType
	case clavis.ELimit:
		return http.StatusForbidden
	case clavis.EUnauthenticated, clavis.ENoCredentials:
		return http.StatusUnauthorized
	case clavis.EForbidden:
		return http.StatusForbidden
	case clavis.EBusy:
		return http.StatusTooManyRequests
	case clavis.ENotImplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// fail renders an error page for err: its client-safe message and the
// status that goes with its code. Internal causes go to the log only.
func (h *Handler) fail(rq *request, err error) {
	status := httpStatus(err)
	if status == http.StatusInternalServerError {
		h.log.Error("portal request failed", "route", rq.r.Pattern, "err", err.Error())
	}
	title := map[int]string{
		http.StatusNotFound: "Not found", http.StatusForbidden: "Not allowed", http.StatusTooManyRequests: "Too many attempts",
		http.StatusUnauthorized: "Not signed in", http.StatusConflict: "Already exists", http.StatusBadRequest: "Something is wrong with the request",
		http.StatusRequestEntityTooLarge: "Too large", http.StatusServiceUnavailable: "Not available on this server",
	}[status]
	if title == "" {
		title = "Something went wrong"
	}
	if rq.wantsJSON() {
		// The portal's script (the uploader) reads the reason.
		if jerr := rq.writeJSON(status, map[string]string{"title": title, "error": clavis.ErrorMessage(err)}); jerr == nil {
			return
		}
	}
	if rerr := rq.render(status, "error.html", view{Title: title, Error: clavis.ErrorMessage(err), Data: status}); rerr != nil {
		h.log.Error("render error page", "err", rerr.Error())
		http.Error(rq.w, title, status)
	}
}

// formError re-renders a form page with err's message, keeping what the
// user typed (never a password): errors the user can fix are answered on
// the form itself.
func (rq *request) formError(err error, name string, v view) error {
	if clavis.ErrorCode(err) == clavis.EInternal {
		return err
	}
	v.Error = clavis.ErrorMessage(err)
	return rq.render(httpStatus(err), name, v)
}
