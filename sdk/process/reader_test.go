//go:build unix

package process

import (
	"slices"
	"testing"
)

func TestSplitLines(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in        string
		max       int
		wantTexts []string
		wantRest  string
	}{
		"complete lines and a partial one": {
			in: "a\nbb\nccc", max: 10, wantTexts: []string{"a", "bb"}, wantRest: "ccc",
		},
		"a carriage return before a break is stripped": {
			in: "a\r\nb\r", max: 10, wantTexts: []string{"a"}, wantRest: "b\r",
		},
		"a long complete line is cut": {
			in: "abcdefghij\n", max: 4, wantTexts: []string{"abcd", "efgh", "ij"},
		},
		"a long partial line is cut down to the limit": {
			in: "abcdefghij", max: 4, wantTexts: []string{"abcd", "efgh"}, wantRest: "ij",
		},
		"a partial line of the limit and a carriage return waits for its break": {
			in: "abcd\r", max: 4, wantRest: "abcd\r",
		},
		"cuts fall on rune boundaries": {
			in: "aéé\n", max: 4, wantTexts: []string{"aé", "é"},
		},
		"invalid utf-8 is cut at the limit": {
			in: "\x80\x80\x80\x80\x80\x80\n", max: 4, wantTexts: []string{"\x80\x80\x80\x80", "\x80\x80"},
		},
		"an exact-size line is one piece": {
			in: "abcd\n", max: 4, wantTexts: []string{"abcd"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			texts, rest := splitLines([]byte(tc.in), tc.max)
			if !slices.Equal(texts, tc.wantTexts) || string(rest) != tc.wantRest {
				t.Errorf("splitLines(%q, %d) = %q, %q; want %q, %q", tc.in, tc.max, texts, rest, tc.wantTexts, tc.wantRest)
			}
		})
	}
}
