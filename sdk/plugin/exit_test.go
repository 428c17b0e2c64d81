package plugin

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestRunFor(t *testing.T) {
	for name, tc := range map[string]struct {
		stop    time.Duration // how long stop takes
		grace   time.Duration
		wantLog bool
	}{
		"a stop within the grace period": {stop: 0, grace: time.Second, wantLog: false},
		"a stop that outlasts it":        {stop: time.Second, grace: 10 * time.Millisecond, wantLog: true},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var buf bytes.Buffer
			log := hclog.New(&hclog.LoggerOptions{Output: &lockedWriter{mu: &mu, w: &buf}})
			release := make(chan struct{})
			defer close(release)
			RunFor(log, tc.grace, "closing the store", func() {
				select {
				case <-time.After(tc.stop):
				case <-release:
				}
			})
			mu.Lock()
			got := strings.Contains(buf.String(), "did not finish in time: closing the store")
			mu.Unlock()
			if got != tc.wantLog {
				t.Errorf("logged a late stop = %v, want %v (log: %q)", got, tc.wantLog, buf.String())
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
