package setup

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// redrawEvery bounds how often a progress bar is redrawn.
const redrawEvery = 100 * time.Millisecond

// meter shows one download's progress on out: on a terminal, a bar redrawn
// in place as bytes arrive; otherwise a line when it starts. Either way a
// line when it ends. It is an io.Writer that counts the bytes written to it.
type meter struct {
	out      io.Writer
	bar      bool
	width    int
	name     string
	total    int64 // -1 when unknown
	done     int64
	start    time.Time
	drawn    time.Time
	finished time.Time
}

func newMeter(opts Options, name string, total int64) *meter {
	m := &meter{out: opts.Out, bar: opts.Terminal, width: opts.Width, name: name, total: total, start: time.Now()}
	if m.width <= 0 {
		m.width = 80
	}
	if m.bar {
		m.draw(m.start)
	} else {
		fmt.Fprintf(m.out, "fetching %s (%s)\n", name, sizeOrUnknown(total))
	}
	return m
}

// Write counts p and redraws the bar when it is due.
func (m *meter) Write(p []byte) (int, error) {
	m.done += int64(len(p))
	if m.bar {
		if now := time.Now(); now.Sub(m.drawn) >= redrawEvery {
			m.draw(now)
		}
	}
	return len(p), nil
}

// draw rewrites the bar's line.
func (m *meter) draw(now time.Time) {
	m.drawn = now
	fmt.Fprintf(m.out, "\r%s\x1b[K", barLine(m.name, m.done, m.total, now.Sub(m.start), m.width))
}

// end closes the display: the bar's line is replaced by the final line, or
// cleared when the download failed (the caller reports the error).
func (m *meter) end(err error) {
	m.finished = time.Now()
	if m.bar {
		fmt.Fprint(m.out, "\r\x1b[K")
	}
	if err == nil {
		d := m.elapsed()
		fmt.Fprintf(m.out, "fetched %s: %s in %s (%s)\n", m.name, formatBytes(m.done), formatDuration(d), rate(m.done, d))
	}
}

// elapsed returns how long the download took, once ended.
func (m *meter) elapsed() time.Duration { return m.finished.Sub(m.start) }

// barLine renders a download's progress in at most width-1 columns (the
// last column is left free so that the terminal does not wrap): the name, a
// bar and the share done when the total is known, the bytes, the rate and
// the time left.
func barLine(name string, done, total int64, elapsed time.Duration, width int) string {
	var stats []string
	if total > 0 {
		stats = append(stats, fmt.Sprintf("%3d%%", min(100, done*100/total)), formatBytes(done)+" / "+formatBytes(total))
	} else {
		stats = append(stats, formatBytes(done))
	}
	stats = append(stats, rate(done, elapsed))
	if total > 0 && done > 0 && elapsed > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		stats = append(stats, "ETA "+left.Round(time.Second).String())
	}
	text := strings.Join(stats, "  ")
	line := name + "  " + text
	// A bar of up to 30 cells when the total is known and it fits.
	if cells := min(30, width-1-len(line)-4); total > 0 && cells >= 10 {
		full := int(min(done, total) * int64(cells) / total)
		line = name + " [" + strings.Repeat("=", full) + strings.Repeat(" ", cells-full) + "] " + text
	}
	if r := []rune(line); len(r) > width-1 {
		line = string(r[:max(0, width-1)])
	}
	return line
}

// rate formats the mean rate of n bytes in d.
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- B/s"
	}
	return formatBytes(int64(float64(n)/d.Seconds())) + "/s"
}

// formatBytes formats n in decimal units: B, kB, MB, GB.
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}

func sizeOrUnknown(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return formatBytes(n)
}

// formatDuration rounds d for people: milliseconds under a second, tenths
// of a second under a minute, whole seconds above.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
