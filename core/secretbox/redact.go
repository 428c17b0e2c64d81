package secretbox

import (
	"cmp"
	"slices"
	"strings"
)

// Mask is what a Redactor writes in place of a secret.
const Mask = "********"

// minLineLen is the shortest line of a multi-line secret that is masked on
// its own. Shorter lines ("{", "}", "") would mask ordinary output.
const minLineLen = 4

// Redactor masks known secret values in text. It is immutable and safe for
// concurrent use; a nil *Redactor masks nothing.
//
// Every non-empty secret is masked wherever it occurs, even one a single
// character long: leaking a short password is worse than over-masking
// output, and a short secret is a configuration problem to fix, not to hide.
// Empty secrets are ignored.
//
// Task output is processed line by line, so a secret that spans lines (a
// private key, a certificate) could never match whole. For such a secret,
// each of its lines is masked on its own too, after trimming white space,
// when it is at least 4 bytes long.
//
// Where occurrences of secrets overlap ("abcd" and "cdef" in "abcdef"), the
// union of all of them is masked, so no part of any secret is left; adjacent
// or overlapping occurrences collapse into a single Mask.
//
// Only the literal values are matched, not encodings of them (URL-escaped,
// base64, JSON-escaped).
type Redactor struct {
	// patterns are distinct and non-empty, longest first.
	patterns []string
}

// NewRedactor returns a Redactor for the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	seen := make(map[string]bool)
	var patterns []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			patterns = append(patterns, p)
		}
	}
	for _, s := range secrets {
		add(s)
		if !strings.ContainsAny(s, "\r\n") {
			continue
		}
		for line := range strings.Lines(s) {
			if line = strings.TrimSpace(line); len(line) >= minLineLen {
				add(line)
			}
		}
	}
	slices.SortStableFunc(patterns, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return &Redactor{patterns: patterns}
}

// span is a half-open byte range [start, end) of s to mask.
type span struct{ start, end int }

// Redact returns s with every secret replaced by Mask. When no secret
// occurs in s, it returns s itself and allocates nothing.
func (r *Redactor) Redact(s string) string {
	if r == nil || len(r.patterns) == 0 || s == "" {
		return s
	}
	var buf [8]span
	spans := buf[:0]
	for _, p := range r.patterns {
		for off := 0; off+len(p) <= len(s); {
			i := strings.Index(s[off:], p)
			if i < 0 {
				break
			}
			spans = append(spans, span{off + i, off + i + len(p)})
			// Step by one byte, not len(p): a secret can overlap itself
			// ("abab" in "ababab") and every occurrence must go.
			off += i + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })

	var b strings.Builder
	b.Grow(len(s))
	last := 0 // end of the text already written or masked
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(s[last:start])
		b.WriteString(Mask)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// Empty reports whether r masks nothing.
func (r *Redactor) Empty() bool { return r == nil || len(r.patterns) == 0 }
