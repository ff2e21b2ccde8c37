package setup

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBarLine(t *testing.T) {
	tests := []struct {
		name        string
		done, total int64
		elapsed     time.Duration
		width       int
		want        string
	}{
		{"Start", 0, 50e6, 0, 80, "pkg@1.0.0 [                              ]   0%  0 B / 50.0 MB  - B/s"},
		{"Half", 25e6, 50e6, 5 * time.Second, 80, "pkg@1.0.0 [===========            ]  50%  25.0 MB / 50.0 MB  5.0 MB/s  ETA 5s"},
		{"Done", 50e6, 50e6, 10 * time.Second, 80, "pkg@1.0.0 [==============================] 100%  50.0 MB / 50.0 MB  5.0 MB/s"},
		{"NarrowBar", 25e6, 50e6, 5 * time.Second, 70, "pkg@1.0.0 [======       ]  50%  25.0 MB / 50.0 MB  5.0 MB/s  ETA 5s"},
		{"NoRoomForBar", 25e6, 50e6, 5 * time.Second, 60, "pkg@1.0.0   50%  25.0 MB / 50.0 MB  5.0 MB/s  ETA 5s"},
		{"Truncated", 25e6, 50e6, 5 * time.Second, 21, "pkg@1.0.0   50%  25."},
		{"UnknownTotal", 1500, -1, time.Second, 80, "pkg@1.0.0  1.5 kB  1.5 kB/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := barLine("pkg@1.0.0", tt.done, tt.total, tt.elapsed, tt.width)
			if got != tt.want {
				t.Errorf("barLine =\n%q, want\n%q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.width-1 || strings.ContainsAny(got, "\r\n") {
				t.Errorf("barLine is %d columns wide for width %d, or holds a line break", n, tt.width)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 104_200_000: "104.2 MB", 2_500_000_000: "2.50 GB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42*time.Millisecond + 300*time.Microsecond:           "42ms",
		12*time.Second + 345*time.Millisecond:                "12.3s",
		3*time.Minute + 7*time.Second + 600*time.Millisecond: "3m8s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
