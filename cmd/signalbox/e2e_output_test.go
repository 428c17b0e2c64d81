package main

import (
	"fmt"
	"strings"
	"testing"
)

// pagedOutput reads a task's whole output page by page (?offset=&limit=),
// as a client of a huge log does.
func (s *server) pagedOutput(projectID, id int64, page int) []outputLine {
	s.t.Helper()
	var all []outputLine
	after := int64(0)
	for {
		var lines []outputLine
		s.call("GET", fmt.Sprintf("/api/project/%d/tasks/%d/output?offset=%d&limit=%d", projectID, id, after, page), nil, 200, &lines)
		if len(lines) == 0 {
			return all
		}
		all = append(all, lines...)
		after = lines[len(lines)-1].Seq
	}
}

// The output of real tasks through the shell plugin: every line stored and
// returned in order, whatever its length and however the output ends.
func TestE2E_OutputIsComplete(t *testing.T) {
	// A million lines take a minute under -race; the bench (make bench)
	// checks every line of a million-line task.
	const bigLines = 200_000
	const hugeLine = 5 << 20
	s := startServer(t, t.TempDir())
	s.login()
	pid, tmpls := s.project(map[string]string{
		"big.sh":  fmt.Sprintf("awk 'BEGIN{for(i=1;i<=%d;i++) printf \"line %%09d ........................................................\\n\", i}'\n", bigLines),
		"huge.sh": fmt.Sprintf("echo before\nhead -c %d /dev/zero | tr '\\0' a\n", hugeLine),
		"tail.sh": "printf 'one\\ntwo\\nlast without a newline'\n",
	})
	run := func(t *testing.T, script string) int64 {
		t.Helper()
		tk := s.startTask(pid, tmpls[script])
		done := s.waitTask(pid, tk.ID, final)
		if done.Status != "success" {
			t.Fatalf("%s ended %s: %s", script, done.Status, done.Message)
		}
		return tk.ID
	}
	checkSeqs := func(t *testing.T, lines []outputLine) {
		t.Helper()
		for i, l := range lines {
			if l.Seq != int64(i+1) {
				t.Fatalf("line %d has seq %d", i+1, l.Seq)
			}
		}
	}

	t.Run("a task of 200,000 lines has every line, in order, once final", func(t *testing.T) {
		id := run(t, "big.sh")
		lines := s.pagedOutput(pid, id, 50_000)
		checkSeqs(t, lines)
		if len(lines) != bigLines {
			t.Fatalf("%d lines, want %d", len(lines), bigLines)
		}
		for i, l := range lines {
			want := fmt.Sprintf("line %09d ........................................................", i+1)
			if l.Output != want {
				t.Fatalf("line %d = %q, want %q", i+1, l.Output, want)
			}
		}
	})
	t.Run("a 5 MiB line without a newline arrives whole, in pieces", func(t *testing.T) {
		id := run(t, "huge.sh")
		lines := s.output(pid, id)
		checkSeqs(t, lines)
		if len(lines) < 2 || lines[0].Output != "before" {
			t.Fatalf("first lines = %.200v", lines)
		}
		var b strings.Builder
		for _, l := range lines[1:] {
			b.WriteString(l.Output)
		}
		if got := b.String(); got != strings.Repeat("a", hugeLine) {
			t.Fatalf("the huge line came back as %d bytes in %d pieces, want %d bytes of a", len(got), len(lines)-1, hugeLine)
		}
	})
	t.Run("output without a trailing newline keeps its last line", func(t *testing.T) {
		id := run(t, "tail.sh")
		if got, want := text(s.output(pid, id)), "one\ntwo\nlast without a newline\n"; got != want {
			t.Fatalf("output = %q, want %q", got, want)
		}
	})
}
