//go:build unix

package process

import (
	"bytes"
	"os"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/signalbox/signalbox/sdk/executor"
)

// readSize is the most one read takes from a pipe, and so the most one
// Write carries (plus a partial line left from the read before).
const readSize = 64 << 10

// drainBudget bounds what Run reads once the group is dead. What the group
// wrote before dying is at most a pipe's capacity (1 MiB unless raised by
// root); more can only come from a process that escaped the group.
const drainBudget = 4 << 20

// reader turns one pipe into batches of lines.
type reader struct {
	f      *os.File
	stream executor.Stream
	max    int
	out    executor.Output
	// draining is set once the command's group is dead.
	draining atomic.Bool
	// broken is set once out failed; output is read and discarded then.
	broken bool
}

func newReader(f *os.File, stream executor.Stream, maxLine int, out executor.Output) *reader {
	return &reader{f: f, stream: stream, max: maxLine, out: out}
}

// drain tells the reader that only escaped processes can still write: it
// stops after drainIdle without data, or after drainBudget bytes.
func (r *reader) drain() {
	r.draining.Store(true)
	_ = r.f.SetReadDeadline(time.Now().Add(drainIdle))
}

func (r *reader) run() {
	defer r.f.Close()
	// A partial line of up to max+1 bytes stays at the front of buf between
	// reads; the next read lands right after it.
	buf := make([]byte, r.max+1+readSize)
	pending, drained := 0, 0
	for {
		draining := r.draining.Load()
		if draining {
			// Renewed before each read, so time spent blocked in Write
			// (back-pressure) never counts as idle.
			_ = r.f.SetReadDeadline(time.Now().Add(drainIdle))
		}
		n, err := r.f.Read(buf[pending : pending+readSize])
		if n > 0 {
			texts, rest := splitLines(buf[:pending+n], r.max)
			pending = copy(buf, rest)
			r.write(texts)
			if draining {
				drained += n
			}
		}
		// EOF, a deadline (an escaped process holds the pipe) or a close.
		if err != nil || drained > drainBudget {
			break
		}
	}
	if pending > 0 {
		r.write([]string{string(trimCR(buf[:pending]))})
	}
}

func (r *reader) write(texts []string) {
	if len(texts) == 0 || r.broken {
		return
	}
	now := time.Now()
	lines := make([]executor.Line, len(texts))
	for i, t := range texts {
		lines[i] = executor.Line{Time: now, Stream: r.stream, Text: t}
	}
	if err := r.out.Write(lines...); err != nil {
		r.broken = true
	}
}

// splitLines returns the complete lines of b, each cut into pieces of at
// most maxLen bytes, and the partial line left at its end. The rest is
// itself cut while longer than maxLen, so it never exceeds maxLen+1 bytes
// (one more for a "\r" that may precede a line break).
func splitLines(b []byte, maxLen int) (texts []string, rest []byte) {
	// Find the pieces first, then make one string of everything they cover
	// and slice it: one allocation per read instead of one per line.
	var pieces [][2]int
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			break
		}
		line, start := trimCR(b[off:off+i]), off
		for len(line) > maxLen {
			n := cutAt(line, maxLen)
			pieces = append(pieces, [2]int{start, start + n})
			line, start = line[n:], start+n
		}
		pieces = append(pieces, [2]int{start, start + len(line)})
		off += i + 1
	}
	for len(b)-off > maxLen && (len(b)-off != maxLen+1 || b[off+maxLen] != '\r') {
		n := cutAt(b[off:], maxLen)
		pieces = append(pieces, [2]int{off, off + n})
		off += n
	}
	if len(pieces) == 0 {
		return nil, b[off:]
	}
	all := string(b[:off])
	texts = make([]string, len(pieces))
	for i, p := range pieces {
		texts[i] = all[p[0]:p[1]]
	}
	return texts, b[off:]
}

// cutAt returns where to cut b (len(b) > maxLen) so that the first piece is
// at most maxLen bytes and, when b is valid UTF-8, ends on a rune boundary.
func cutAt(b []byte, maxLen int) int {
	n := maxLen
	for k := 0; k < utf8.UTFMax-1 && n > 1 && !utf8.RuneStart(b[n]); k++ {
		n--
	}
	if !utf8.RuneStart(b[n]) {
		return maxLen
	}
	return n
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
