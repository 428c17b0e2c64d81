package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/signalbox/signalbox/sdk/executor"
)

// hostStats are one host's counters in the PLAY RECAP.
type hostStats struct {
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Unreachable int `json:"unreachable"`
	Failed      int `json:"failed"`
	Skipped     int `json:"skipped"`
	Rescued     int `json:"rescued"`
	Ignored     int `json:"ignored"`
}

func (s *hostStats) add(o hostStats) {
	s.OK += o.OK
	s.Changed += o.Changed
	s.Unreachable += o.Unreachable
	s.Failed += o.Failed
	s.Skipped += o.Skipped
	s.Rescued += o.Rescued
	s.Ignored += o.Ignored
}

// summary is Result.Summary: the PLAY RECAP per host, and its totals.
type summary struct {
	Hosts  map[string]hostStats `json:"hosts"`
	Totals hostStats            `json:"totals"`
}

var (
	// ansiPattern matches ANSI escape sequences (colours, cursor moves).
	ansiPattern = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	// recapHostPattern matches a host's line of the PLAY RECAP, colours
	// stripped: "web1   : ok=2    changed=1    unreachable=0 ...".
	recapHostPattern = regexp.MustCompile(`^(\S+)\s*:\s*((?:[a-z]+=\d+\s*)+)$`)
	recapField       = regexp.MustCompile(`([a-z]+)=(\d+)`)
)

// stripANSI removes ANSI escape sequences from s.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return ansiPattern.ReplaceAllString(s, "")
}

// recap parses ansible-playbook's stdout for the PLAY RECAP. It is safe
// for concurrent use.
type recap struct {
	mu     sync.Mutex
	inside bool
	hosts  map[string]hostStats
	// found is set once a PLAY RECAP header was seen.
	found bool
}

// line feeds one line of stdout.
func (r *recap) line(text string) {
	text = strings.TrimSpace(stripANSI(text))
	r.mu.Lock()
	defer r.mu.Unlock()
	if strings.HasPrefix(text, "PLAY RECAP") {
		// The last recap wins.
		r.inside, r.found, r.hosts = true, true, map[string]hostStats{}
		return
	}
	if !r.inside {
		return
	}
	m := recapHostPattern.FindStringSubmatch(text)
	if m == nil {
		// A blank line, or anything else, ends the recap.
		r.inside = false
		return
	}
	var s hostStats
	for _, f := range recapField.FindAllStringSubmatch(m[2], -1) {
		n, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		switch f[1] {
		case "ok":
			s.OK = n
		case "changed":
			s.Changed = n
		case "unreachable":
			s.Unreachable = n
		case "failed":
			s.Failed = n
		case "skipped":
			s.Skipped = n
		case "rescued":
			s.Rescued = n
		case "ignored":
			s.Ignored = n
		}
	}
	r.hosts[m[1]] = s
}

// summary returns the parsed recap, or nil when there was none.
func (r *recap) summary() *summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.found {
		return nil
	}
	s := &summary{Hosts: map[string]hostStats{}}
	for h, st := range r.hosts {
		s.Hosts[h] = st
		s.Totals.add(st)
	}
	return s
}

// json returns the summary as a JSON object, or nil.
func (s *summary) json() json.RawMessage {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	return b
}

// recapOutput passes output on, feeding stdout lines to a recap.
type recapOutput struct {
	executor.Output
	recap *recap
}

func (o recapOutput) Write(lines ...executor.Line) error {
	for _, l := range lines {
		if l.Stream == executor.StreamStdout {
			o.recap.line(l.Text)
		}
	}
	return o.Output.Write(lines...)
}

// exitMeaning explains ansible-playbook's exit codes. Exit code 4 is
// documented as a parser error, but Ansible also uses it when hosts were
// unreachable; the recap tells them apart.
func exitMeaning(code int, s *summary) string {
	switch code {
	case 1:
		return "error"
	case 2:
		return "one or more hosts failed"
	case 3:
		return "one or more hosts were unreachable"
	case 4:
		if s != nil && s.Totals.Unreachable > 0 {
			return "one or more hosts were unreachable"
		}
		return "parser error"
	case 5:
		return "bad or incomplete options"
	case 6:
		return "command-line arguments are not UTF-8"
	case 99:
		return "interrupted"
	case 250:
		return "unexpected error"
	}
	if code > 128 && code < 128+65 {
		return fmt.Sprintf("killed by signal %d", code-128)
	}
	return ""
}

// playbookFailure is the reason of a failed ansible-playbook run.
func playbookFailure(code int, s *summary) string {
	if m := exitMeaning(code, s); m != "" {
		return fmt.Sprintf("ansible-playbook failed: %s (exit code %d)", m, code)
	}
	return fmt.Sprintf("ansible-playbook failed (exit code %d)", code)
}
