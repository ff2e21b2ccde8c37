package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds a whole browser test, so a stuck page fails the
// test instead of hanging `make test`.
const browserTimeout = 2 * time.Minute

// chromium returns the Chromium to drive (CLAVIS_CHROMIUM, else Debian's
// /usr/bin/chromium, which scripts/deps.sh installs). Without one the test
// is skipped, or fails under CLAVIS_REQUIRE_BROWSER=1.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CLAVIS_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CLAVIS_REQUIRE_BROWSER") != "" {
			t.Fatalf("no Chromium at %s (run scripts/deps.sh): %v", path, err)
		}
		t.Skipf("no Chromium at %s; run scripts/deps.sh", path)
	}
	return path
}

// screenshotDir is where browser tests write their screenshots:
// $CLAVIS_SCREENSHOTS, else clavis-screenshots in the system's temp dir.
// It is kept after the test, for a person to look at.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLAVIS_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "clavis-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// tab is one headless Chromium tab on a test server.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// newTab starts a headless Chromium with a fresh profile, flags that keep
// it off the network and quiet, and clipboard access for the server's
// origin.
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	b := &tab{t: t, ctx: ctx, base: base}
	b.do(chromedp.Navigate(base + "/"))
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted, Origin: base,
		}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	// The clipboard answers only a focused page; headless has no focus.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a path of the server and waits for its main heading.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// follow clicks what sel finds and waits for the page it loads.
func (b *tab) follow(sel string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	if resp != nil && resp.Status >= 400 {
		b.t.Fatalf("click %s: HTTP %d at %s: %s", sel, resp.Status, resp.URL, b.text("main"))
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("main h1")))
}

func (b *tab) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (b *tab) fill(sel, text string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	eval[bool](b, `(e => { e.value = ""; return true })(document.querySelector('`+sel+`'))`)
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

// eval runs a script in the page; promises are awaited.
func eval[T any](b *tab, script string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", script, err)
	}
	return v
}

// copySecret clicks the one-time page's copy button and returns what it
// put in the clipboard, checking that it is the secret shown.
func (b *tab) copySecret() string {
	b.t.Helper()
	shown := b.value("#secret")
	b.click("#copy-secret")
	b.do(chromedp.WaitVisible(chromedp.CSS("#copy-secret.copied")))
	copied := eval[string](b, "navigator.clipboard.readText()")
	if copied != shown || copied == "" {
		b.t.Fatalf("the copy button put %q in the clipboard; the page shows %q", copied, shown)
	}
	return copied
}

// check sets a checkbox, by its value in the scope grid.
func (b *tab) checkScope(name string, on bool) {
	b.t.Helper()
	sel := `input[name="scope"][value="` + name + `"]`
	checked := eval[bool](b, `document.querySelector('`+sel+`').checked`)
	if checked != on {
		b.click(sel)
	}
}

// shot writes full-page screenshots of the current page at desktop
// (1280×800) and phone (390×844) widths.
func (b *tab) shot(name string) { b.screenshot(name, true) }

// shotTop is shot for long pages: the first screenful only.
func (b *tab) shotTop(name string) { b.screenshot(name, false) }

func (b *tab) screenshot(name string, full bool) {
	b.t.Helper()
	if b.shots == "" {
		b.shots = screenshotDir(b.t)
	}
	for _, vp := range []struct {
		suffix        string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		emu := []chromedp.EmulateViewportOption{}
		if vp.mobile {
			emu = append(emu, chromedp.EmulateMobile)
		}
		b.do(chromedp.EmulateViewport(vp.width, vp.height, emu...))
		// Nothing may stick out sideways: a phone would scroll the
		// whole page. Wide tables scroll inside their own box.
		if wide := eval[[]string](b, overflowScript); len(wide) > 0 {
			b.t.Errorf("%s at %d px wide: elements stick out of the page: %v", name, vp.width, wide)
		}
		if full {
			// The whole page at this width: a viewport as tall as it.
			h := eval[int64](b, "document.documentElement.scrollHeight")
			b.do(chromedp.EmulateViewport(vp.width, max(h, vp.height), emu...))
		}
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shots, name+"-"+vp.suffix+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 800))
}

// overflowScript lists, when the page is wider than the viewport, the
// elements that stick out past its right edge (at most five, not counting
// those inside a box that scrolls or clips them), as tag.class.
const overflowScript = `(() => {
  if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
  const clipped = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return true;
    }
    return false;
  };
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > window.innerWidth + 1 && !clipped(e) && out.length < 5) {
      out.push(e.tagName.toLowerCase() + (e.className ? "." + String(e.className).replace(/ /g, ".") : "") + " right=" + Math.round(r.right));
    }
  }
  return out.length ? out : ["document scrollWidth " + document.documentElement.scrollWidth];
})()`

// hasText reports whether the page's main part says s.
func (b *tab) hasText(s string) bool {
	b.t.Helper()
	return strings.Contains(b.text("main"), s)
}
