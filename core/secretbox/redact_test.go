package secretbox_test

import (
	"strings"
	"testing"

	"github.com/signalbox/signalbox/core/secretbox"
)

const testPEM = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDhLx0bQ5zYzVh0b3Rvc2VjcmV0a2V5bWF0ZXJpYWwAAAAAAAAAAAAAAA==
-----END OPENSSH PRIVATE KEY-----
`

func TestRedactor_Redact(t *testing.T) {
	t.Parallel()
	m := secretbox.Mask
	for name, tc := range map[string]struct {
		secrets []string
		in      string
		want    string
	}{
		"no secrets":                    {in: "hello", want: "hello"},
		"empty secret ignored":          {secrets: []string{""}, in: "hello", want: "hello"},
		"no occurrence":                 {secrets: []string{"hunter2"}, in: "all fine", want: "all fine"},
		"empty input":                   {secrets: []string{"hunter2"}, in: "", want: ""},
		"one occurrence":                {secrets: []string{"hunter2"}, in: "password=hunter2;", want: "password=" + m + ";"},
		"every occurrence":              {secrets: []string{"tok"}, in: "tok tok-tok", want: m + " " + m + "-" + m},
		"whole input":                   {secrets: []string{"abc"}, in: "abc", want: m},
		"secret containing another":     {secrets: []string{"pass", "password"}, in: "my password!", want: "my " + m + "!"},
		"shorter secret given first":    {secrets: []string{"word", "password"}, in: "password word", want: m + " " + m},
		"partial overlap":               {secrets: []string{"abcd", "cdef"}, in: "xabcdefx", want: "x" + m + "x"},
		"partial overlap, other order":  {secrets: []string{"cdef", "abcd"}, in: "xabcdefx", want: "x" + m + "x"},
		"chain of overlaps":             {secrets: []string{"xab", "abcdefg", "fgh"}, in: "-xabcdefgh-", want: "-" + m + "-"},
		"secret overlapping itself":     {secrets: []string{"abab"}, in: "ababab", want: m},
		"adjacent occurrences merge":    {secrets: []string{"ab", "cd"}, in: "abcd", want: m},
		"short secrets still masked":    {secrets: []string{"x"}, in: "a x b", want: "a " + m + " b"},
		"duplicates":                    {secrets: []string{"dup", "dup"}, in: "dup", want: m},
		"unicode secret":                {secrets: []string{"пароль🔑"}, in: "ключ: пароль🔑.", want: "ключ: " + m + "."},
		"unicode around ascii secret":   {secrets: []string{"abc"}, in: "日本abc語", want: "日本" + m + "語"},
		"case matters":                  {secrets: []string{"Secret"}, in: "secret Secret", want: "secret " + m},
		"regexp characters are literal": {secrets: []string{"a.*b"}, in: "axxb a.*b", want: "axxb " + m},
		"multi-line secret whole":       {secrets: []string{"line one\nline two"}, in: "x line one\nline two y", want: "x " + m + " y"},
		"multi-line secret by line":     {secrets: []string{"line one\nline two"}, in: "got line two here", want: "got " + m + " here"},
		"multi-line secret crlf":        {secrets: []string{"first\r\nsecond"}, in: "first\r", want: m + "\r"},
		"short lines of multi-line secret are not masked": {
			secrets: []string{"{\n  \"k\": \"v4lue\"\n}"}, in: "{ }", want: "{ }",
		},
		"indented line of multi-line secret": {secrets: []string{"a\n    indented-line\n"}, in: "  indented-line", want: "  " + m},
		"private key line by line": {
			secrets: []string{testPEM},
			in:      "QyNTUxOQAAACDhLx0bQ5zYzVh0b3Rvc2VjcmV0a2V5bWF0ZXJpYWwAAAAAAAAAAAAAAA==",
			want:    m,
		},
		"private key header line": {
			secrets: []string{testPEM}, in: "debug: -----BEGIN OPENSSH PRIVATE KEY-----", want: "debug: " + m,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := secretbox.NewRedactor(tc.secrets...)
			if got := r.Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactor_Redact_leavesNoPartOfAnySecret(t *testing.T) {
	t.Parallel()
	secrets := []string{"abcd", "cdef", "efgh", "bcdefg", "xyz1"}
	r := secretbox.NewRedactor(secrets...)
	for _, in := range []string{"abcdefgh", "zabcdefghz", "xyz1abcd", "cdefabcd", "aabcdd", "efghcdef"} {
		out := r.Redact(in)
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("Redact(%q) = %q still contains %q", in, out, s)
			}
		}
	}
}

func TestRedactor_Redact_noAllocation(t *testing.T) {
	line := "TASK [deploy : copy files] ************************************ ok: [web-1]"
	for name, r := range map[string]*secretbox.Redactor{
		"nil redactor":      nil,
		"no secrets":        secretbox.NewRedactor(),
		"secrets not found": secretbox.NewRedactor("hunter2", "correct horse", testPEM),
	} {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { _ = r.Redact(line) }); n != 0 {
				t.Errorf("Redact() allocated %v times, want 0", n)
			}
			if !r.Empty() == (name != "secrets not found") {
				t.Errorf("Empty() = %v", r.Empty())
			}
		})
	}
}

func BenchmarkRedactor_Redact(b *testing.B) {
	r := secretbox.NewRedactor("hunter2", "correct horse battery staple", "ghp_0123456789abcdefABCDEF", "deploy-token-xyz", testPEM)
	clean := "TASK [deploy : copy files] ******************************************* ok: [web-1] => changed=false"
	dirty := "fatal: could not read from https://deploy:hunter2@git.example.com/repo.git: auth failed for hunter2"
	b.Run("no match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.Redact(clean)
		}
	})
	b.Run("match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.Redact(dirty)
		}
	})
	b.Run("no secrets", func(b *testing.B) {
		b.ReportAllocs()
		empty := secretbox.NewRedactor()
		for b.Loop() {
			_ = empty.Redact(clean)
		}
	})
}
