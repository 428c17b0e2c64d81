package outputcodec_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store/outputcodec"
)

func TestDecode(t *testing.T) {
	good := outputcodec.AppendLine([]byte{outputcodec.Version}, time.Unix(0, 42), "hello")
	for name, body := range map[string][]byte{
		"an empty body":           nil,
		"an unknown version":      append([]byte{2}, good[1:]...),
		"a truncated text":        good[:len(good)-1],
		"a truncated time":        {outputcodec.Version, 0x80},
		"a length past the end":   {outputcodec.Version, 0, 0xff, 0x01},
		"a length with no text":   {outputcodec.Version, 0, 1},
		"an overlong uvarint len": append([]byte{outputcodec.Version, 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		t.Run(name+" is corrupt", func(t *testing.T) {
			_, err := outputcodec.Decode(body, func(int, time.Time, string) {})
			if !errors.Is(err, outputcodec.ErrBadChunk) {
				t.Fatalf("Decode error = %v, want ErrBadChunk", err)
			}
		})
	}
	t.Run("a good body decodes", func(t *testing.T) {
		n, err := outputcodec.Decode(good, func(i int, at time.Time, text string) {
			if i != 0 || at.UnixNano() != 42 || at.Location() != time.UTC || text != "hello" {
				t.Errorf("line %d = %v %q", i, at, text)
			}
		})
		if n != 1 || err != nil {
			t.Fatalf("Decode = %d, %v", n, err)
		}
	})
	t.Run("decoding from an index skips the lines before it but counts them", func(t *testing.T) {
		body := []byte{outputcodec.Version}
		for _, s := range []string{"a", "b", "c"} {
			body = outputcodec.AppendLine(body, time.Time{}, s)
		}
		var got []string
		n, err := outputcodec.DecodeFrom(body, 2, func(i int, at time.Time, text string) {
			if !at.IsZero() {
				t.Errorf("line %d time = %v, want the zero time", i, at)
			}
			got = append(got, text)
		})
		if n != 3 || err != nil || len(got) != 1 || got[0] != "c" {
			t.Fatalf("DecodeFrom = %d, %v, %q; want 3, nil, [c]", n, err, got)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(outputcodec.AppendLine(outputcodec.AppendLine([]byte{outputcodec.Version}, time.Unix(1, 2), "a"), time.Time{}, "\x00\xff"))
	f.Add([]byte{outputcodec.Version, 0, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, body []byte) {
		var lines []model.OutputLine
		n, err := outputcodec.Decode(body, func(i int, at time.Time, text string) {
			lines = append(lines, model.OutputLine{Seq: int64(i), Time: at, Text: text})
		})
		if err != nil {
			return
		}
		if n != len(lines) {
			t.Fatalf("Decode counted %d lines, called back %d times", n, len(lines))
		}
		re := []byte{outputcodec.Version}
		for _, l := range lines {
			re = outputcodec.AppendLine(re, l.Time, l.Text)
		}
		var again []model.OutputLine
		if _, err := outputcodec.Decode(re, func(i int, at time.Time, text string) {
			again = append(again, model.OutputLine{Seq: int64(i), Time: at, Text: text})
		}); err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		if diff := cmp.Diff(lines, again); diff != "" {
			t.Fatalf("re-encoding changed the lines (-first +second):\n%s", diff)
		}
	})
}
