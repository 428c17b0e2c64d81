package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
)

func decodeAll(t *testing.T, rows []chunkRow) []model.OutputLine {
	t.Helper()
	var out []model.OutputLine
	for _, r := range rows {
		n, err := decodeChunk(r.Body, func(i int, at time.Time, text string) {
			out = append(out, model.OutputLine{TaskID: r.TaskID, Seq: r.FirstSeq + int64(i), Time: at, Text: text})
		})
		if err != nil {
			t.Fatalf("decodeChunk: %v", err)
		}
		if int64(n) != r.LastSeq-r.FirstSeq+1 {
			t.Fatalf("chunk %d..%d holds %d lines", r.FirstSeq, r.LastSeq, n)
		}
	}
	return out
}

func TestChunkLines(t *testing.T) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	mk := func(n int, size int) []model.OutputLine {
		lines := make([]model.OutputLine, n)
		for i := range lines {
			lines[i] = model.OutputLine{TaskID: 7, Seq: int64(i + 10), Time: base.Add(time.Duration(i)), Text: strings.Repeat("x", size)}
		}
		return lines
	}
	for name, tc := range map[string]struct {
		lines       []model.OutputLine
		wantChunks  int
		wantBatches int
	}{
		"a small append is one chunk in one insert": {lines: mk(1000, 80), wantChunks: 1, wantBatches: 1},
		"past 256 KiB the lines go to more chunks":  {lines: mk(10, 64<<10), wantChunks: 4, wantBatches: 1},   // 3 lines of 64 KiB a chunk
		"past 2 MiB the chunks go to more inserts":  {lines: mk(100, 64<<10), wantChunks: 34, wantBatches: 4}, // 11 chunks an insert
		"one line is one chunk":                     {lines: mk(1, 0), wantChunks: 1, wantBatches: 1},
	} {
		t.Run(name, func(t *testing.T) {
			batches := chunkLines(7, tc.lines)
			var rows []chunkRow
			for _, b := range batches {
				rows = append(rows, b...)
			}
			if len(rows) != tc.wantChunks || len(batches) != tc.wantBatches {
				t.Errorf("%d chunks in %d inserts, want %d in %d", len(rows), len(batches), tc.wantChunks, tc.wantBatches)
			}
			for i, r := range rows {
				if len(r.Body) > maxChunkBody+encodedLen(64<<10) {
					t.Errorf("chunk %d has %d bytes", i, len(r.Body))
				}
				if i > 0 && r.FirstSeq != rows[i-1].LastSeq+1 {
					t.Errorf("chunk %d starts at %d after %d", i, r.FirstSeq, rows[i-1].LastSeq)
				}
			}
			if diff := cmp.Diff(tc.lines, decodeAll(t, rows)); diff != "" {
				t.Errorf("lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeChunk(t *testing.T) {
	good := appendLine([]byte{chunkVersion}, time.Unix(0, 42), "hello")
	for name, body := range map[string][]byte{
		"an empty body":           nil,
		"an unknown version":      append([]byte{2}, good[1:]...),
		"a truncated text":        good[:len(good)-1],
		"a truncated time":        {chunkVersion, 0x80},
		"a length past the end":   {chunkVersion, 0, 0xff, 0x01},
		"a length with no text":   {chunkVersion, 0, 1},
		"an overlong uvarint len": append([]byte{chunkVersion, 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		t.Run(name+" is corrupt", func(t *testing.T) {
			_, err := decodeChunk(body, func(int, time.Time, string) {})
			if !errors.Is(err, errBadChunk) {
				t.Fatalf("decodeChunk error = %v, want errBadChunk", err)
			}
		})
	}
	t.Run("a good body decodes", func(t *testing.T) {
		n, err := decodeChunk(good, func(i int, at time.Time, text string) {
			if i != 0 || at.UnixNano() != 42 || at.Location() != time.UTC || text != "hello" {
				t.Errorf("line %d = %v %q", i, at, text)
			}
		})
		if n != 1 || err != nil {
			t.Fatalf("decodeChunk = %d, %v", n, err)
		}
	})
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(appendLine(appendLine([]byte{chunkVersion}, time.Unix(1, 2), "a"), time.Time{}, "\x00\xff"))
	f.Add([]byte{chunkVersion, 0, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, body []byte) {
		var lines []model.OutputLine
		n, err := decodeChunk(body, func(i int, at time.Time, text string) {
			lines = append(lines, model.OutputLine{Seq: int64(i), Time: at, Text: text})
		})
		if err != nil {
			return
		}
		if n != len(lines) {
			t.Fatalf("decodeChunk counted %d lines, called back %d times", n, len(lines))
		}
		re := []byte{chunkVersion}
		for _, l := range lines {
			re = appendLine(re, l.Time, l.Text)
		}
		var again []model.OutputLine
		if _, err := decodeChunk(re, func(i int, at time.Time, text string) {
			again = append(again, model.OutputLine{Seq: int64(i), Time: at, Text: text})
		}); err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		if diff := cmp.Diff(lines, again); diff != "" {
			t.Fatalf("re-encoding changed the lines (-first +second):\n%s", diff)
		}
	})
}
