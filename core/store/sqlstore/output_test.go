package sqlstore

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store/outputcodec"
)

func decodeAll(t *testing.T, rows []chunkRow) []model.OutputLine {
	t.Helper()
	var out []model.OutputLine
	for _, r := range rows {
		n, err := outputcodec.Decode(r.Body, func(i int, at time.Time, text string) {
			out = append(out, model.OutputLine{TaskID: r.TaskID, Seq: r.FirstSeq + int64(i), Time: at, Text: text})
		})
		if err != nil {
			t.Fatalf("Decode: %v", err)
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
				if len(r.Body) > outputcodec.MaxChunkBody+outputcodec.EncodedLen(64<<10) {
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
