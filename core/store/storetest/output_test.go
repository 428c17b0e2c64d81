package storetest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// lines returns lines first..first+n-1 of a task, with times a millisecond
// apart and text made by text.
func lines(taskID, first int64, n int, base time.Time, text func(seq int64) string) []model.OutputLine {
	out := make([]model.OutputLine, n)
	for i := range out {
		seq := first + int64(i)
		out[i] = model.OutputLine{TaskID: taskID, Seq: seq, Time: base.Add(time.Duration(seq) * time.Millisecond), Text: text(seq)}
	}
	return out
}

func TestOutput(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, st store.Store) {
		out := st.Output()
		p := mustProject(t, st)
		base := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

		t.Run("100,000 lines appended by 1,000 read back in pages of 10,000 in order", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			text := func(seq int64) string { return fmt.Sprintf("line %d: %s", seq, strings.Repeat("x", int(seq%97))) }
			const total, batch, pageSize = 100_000, 1_000, 10_000
			for first := int64(1); first <= total; first += batch {
				mustNoErr(t, out.Append(t.Context(), task.ID, lines(task.ID, first, batch, base, text)), "Append")
			}
			var after int64
			for {
				page, err := out.List(t.Context(), task.ID, after, pageSize)
				mustNoErr(t, err, "List")
				if len(page) == 0 {
					break
				}
				if len(page) > pageSize {
					t.Fatalf("List returned %d lines, want at most %d", len(page), pageSize)
				}
				for _, l := range page {
					after++
					want := model.OutputLine{TaskID: task.ID, Seq: after, Time: base.Add(time.Duration(after) * time.Millisecond), Text: text(after)}
					if l != want {
						t.Fatalf("line %d = %+v, want %+v", after, l, want)
					}
				}
			}
			if after != total {
				t.Fatalf("read %d lines, want %d", after, total)
			}
			last, err := out.LastSeq(t.Context(), task.ID)
			mustNoErr(t, err, "LastSeq")
			n, err := out.Count(t.Context(), task.ID)
			mustNoErr(t, err, "Count")
			if last != total || n != total {
				t.Fatalf("LastSeq, Count = %d, %d; want %d, %d", last, n, total, total)
			}

			for name, tc := range map[string]struct {
				after     int64
				limit     int
				wantFirst int64
				wantN     int
			}{
				"a page from the middle of a chunk":  {after: 54_321, limit: 3, wantFirst: 54_322, wantN: 3},
				"the tail with no limit":             {after: total - 5, limit: 0, wantFirst: total - 4, wantN: 5},
				"nothing after the last line":        {after: total, limit: 10},
				"a limit past the end stops at it":   {after: total - 2, limit: 10, wantFirst: total - 1, wantN: 2},
				"a page across chunk boundaries":     {after: 999, limit: 2_002, wantFirst: 1_000, wantN: 2_002},
				"everything with no limit":           {after: 0, limit: 0, wantFirst: 1, wantN: total},
				"a negative afterSeq reads from one": {after: -5, limit: 1, wantFirst: 1, wantN: 1},
			} {
				t.Run(name, func(t *testing.T) {
					got, err := out.List(t.Context(), task.ID, tc.after, tc.limit)
					mustNoErr(t, err, "List")
					if len(got) != tc.wantN {
						t.Fatalf("List(%d, %d) returned %d lines, want %d", tc.after, tc.limit, len(got), tc.wantN)
					}
					for i, l := range got {
						if want := tc.wantFirst + int64(i); l.Seq != want || l.Text != text(want) {
							t.Fatalf("line %d = %d %q, want %d %q", i, l.Seq, l.Text, want, text(want))
						}
					}
				})
			}
		})

		t.Run("any line of up to 64 KiB round-trips byte for byte", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			texts := []string{
				"",
				strings.Repeat("é", 32<<10), // 64 KiB of two-byte runes
				"unicode: 日本語 🚀 Ünïcödé",
				"nul\x00byte\x00",
				"invalid utf-8: \xff\xfe\xc3\x28",
				"carriage\r\nreturn and\ttab",
				"",
				strings.Repeat("z", 64<<10),
			}
			in := make([]model.OutputLine, len(texts))
			for i, s := range texts {
				in[i] = model.OutputLine{TaskID: task.ID, Seq: int64(i + 1), Time: base.Add(time.Duration(i) * time.Nanosecond), Text: s}
			}
			in[2].Time = time.Time{} // the zero time round-trips too
			mustNoErr(t, out.Append(t.Context(), task.ID, in), "Append")
			got, err := out.List(t.Context(), task.ID, 0, 0)
			mustNoErr(t, err, "List")
			wantSame(t, got, in, "lines")
		})

		t.Run("a large append is split into chunks and statements and reads back whole", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			// 100 lines of 64 KiB: 34 chunks, in 4 INSERTs.
			text := func(seq int64) string { return strings.Repeat(string(rune('a'+seq%26)), 64<<10) }
			in := lines(task.ID, 1, 100, base, text)
			mustNoErr(t, out.Append(t.Context(), task.ID, in), "Append")
			in2 := lines(task.ID, 101, 3, base, func(seq int64) string { return "tail" })
			mustNoErr(t, out.Append(t.Context(), task.ID, in2), "Append after")
			got, err := out.List(t.Context(), task.ID, 0, 0)
			mustNoErr(t, err, "List")
			if len(got) != 103 {
				t.Fatalf("List returned %d lines, want 103", len(got))
			}
			wantSame(t, got, append(in, in2...), "lines")
			got, err = out.List(t.Context(), task.ID, 50, 2)
			mustNoErr(t, err, "List")
			wantSame(t, got, in[50:52], "lines 51 and 52")
		})

		t.Run("a task without output has none", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			got, err := out.List(t.Context(), task.ID, 0, 0)
			mustNoErr(t, err, "List")
			last, err := out.LastSeq(t.Context(), task.ID)
			mustNoErr(t, err, "LastSeq")
			n, err := out.Count(t.Context(), task.ID)
			mustNoErr(t, err, "Count")
			if len(got) != 0 || last != 0 || n != 0 {
				t.Fatalf("List, LastSeq, Count = %d lines, %d, %d; want none, 0, 0", len(got), last, n)
			}
			mustNoErr(t, out.Append(t.Context(), task.ID, nil), "Append of nothing")
		})

		t.Run("count is the number of stored lines even with gaps between appends", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			text := func(int64) string { return "x" }
			mustNoErr(t, out.Append(t.Context(), task.ID, lines(task.ID, 1, 3, base, text)), "Append")
			mustNoErr(t, out.Append(t.Context(), task.ID, lines(task.ID, 10, 2, base, text)), "Append")
			last, err := out.LastSeq(t.Context(), task.ID)
			mustNoErr(t, err, "LastSeq")
			n, err := out.Count(t.Context(), task.ID)
			mustNoErr(t, err, "Count")
			if last != 11 || n != 5 {
				t.Fatalf("LastSeq, Count = %d, %d; want 11, 5", last, n)
			}
			got, err := out.List(t.Context(), task.ID, 2, 0)
			mustNoErr(t, err, "List")
			var seqs []int64
			for _, l := range got {
				seqs = append(seqs, l.Seq)
			}
			wantSame(t, seqs, []int64{3, 10, 11}, "seqs after 2")
		})

		t.Run("bad appends are refused", func(t *testing.T) {
			task := mustTask(t, st, p.ID, model.TaskRunning)
			mustNoErr(t, out.Append(t.Context(), task.ID, []model.OutputLine{{Seq: 1}, {Seq: 2}}), "Append")
			for name, tc := range map[string]struct {
				taskID int64
				lines  []model.OutputLine
				want   error
			}{
				"seqs that are not consecutive": {taskID: task.ID, lines: []model.OutputLine{{Seq: 3}, {Seq: 5}}, want: model.ErrInvalid},
				"a seq below one":               {taskID: task.ID, lines: []model.OutputLine{{Seq: 0}}, want: model.ErrInvalid},
				"seqs already stored":           {taskID: task.ID, lines: []model.OutputLine{{Seq: 1}}, want: model.ErrConflict},
				"output of a missing task":      {taskID: 987654, lines: []model.OutputLine{{Seq: 1}}, want: model.ErrNotFound},
			} {
				t.Run(name, func(t *testing.T) {
					wantErr(t, out.Append(t.Context(), tc.taskID, tc.lines), tc.want, "Append")
				})
			}
			_, err := out.List(t.Context(), task.ID, 0, -1)
			wantErr(t, err, model.ErrInvalid, "List with a negative limit")
		})
	})
}
