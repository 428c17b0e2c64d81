package kvstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/kvstore"
	"github.com/signalbox/signalbox/sdk/storage/memory"
)

func TestOutput_Chunks(t *testing.T) {
	t.Parallel()
	text := func(size int) func(int64) string {
		return func(seq int64) string { return fmt.Sprintf("%08d", seq) + strings.Repeat("x", size-8) }
	}
	// appends is a list of appends: the first seq, the line count and size.
	type appendCall struct {
		first int64
		n     int
		size  int
	}
	for name, tc := range map[string]struct {
		appends    []appendCall
		wantChunks int
	}{
		"one append of small lines is one chunk": {
			appends: []appendCall{{1, 1000, 80}}, wantChunks: 1,
		},
		"small appends join the last chunk until it holds 64 KiB": {
			// 2,000 appends of a line of 100 bytes: about 200 KiB.
			appends: func() []appendCall {
				var out []appendCall
				for i := range 2000 {
					out = append(out, appendCall{int64(i + 1), 1, 100})
				}
				return out
			}(),
			wantChunks: 4,
		},
		"a large append is cut at 256 KiB": {
			appends: []appendCall{{1, 10, 64 << 10}}, wantChunks: 4, // 3 lines a chunk
		},
		"a gap starts a new chunk": {
			appends: []appendCall{{1, 3, 10}, {10, 2, 10}, {12, 1, 10}}, wantChunks: 2,
		},
		"a last chunk of 64 KiB or more takes no more lines": {
			appends: []appendCall{{1, 2, 40 << 10}, {3, 1, 10}}, wantChunks: 2,
		},
		"a line that does not fit the last chunk starts a new one": {
			appends: []appendCall{{1, 1, 60 << 10}, {2, 1, 250 << 10}}, wantChunks: 2,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			task := f.newTask(t, f.project.ID, 0, model.TaskRunning)
			out, ctx := f.st.Output(), t.Context()
			var want []model.OutputLine
			for _, a := range tc.appends {
				ls := lines(a.first, a.n, text(a.size))
				for i := range ls {
					ls[i].TaskID = task.ID
				}
				must(t, out.Append(ctx, task.ID, ls), "Append")
				want = append(want, ls...)
			}
			if n := count(t, f.b, "output"); n != tc.wantChunks {
				t.Errorf("%d chunks, want %d", n, tc.wantChunks)
			}
			got, err := out.List(ctx, task.ID, 0, 0)
			must(t, err, "List")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			n, err := out.Count(ctx, task.ID)
			must(t, err, "Count")
			last, err := out.LastSeq(ctx, task.ID)
			must(t, err, "LastSeq")
			if n != int64(len(want)) || last != want[len(want)-1].Seq {
				t.Errorf("Count, LastSeq = %d, %d; want %d, %d", n, last, len(want), want[len(want)-1].Seq)
			}
			checkTaskIndexes(t, f.b)
		})
	}
}

// TestOutput_ListReadsAChunkOrTwo reads pages of 1,000 lines of a log of
// 100,000: each page must scan the chunks that hold it, not the log.
func TestOutput_ListReadsAChunkOrTwo(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newCounting(memory.New())
	st, err := kvstore.New(ctx, c, nil)
	must(t, err, "open store")
	t.Cleanup(func() { _ = st.Close() })
	p := model.Project{Name: "p"}
	must(t, st.Projects().Create(ctx, &p), "create project")
	task := model.Task{ProjectID: p.ID}
	must(t, st.Tasks().Create(ctx, &task), "create task")
	const total, batch = 100_000, 10_000
	for first := int64(1); first <= total; first += batch {
		must(t, st.Output().Append(ctx, task.ID, lines(first, batch, func(seq int64) string {
			return fmt.Sprintf("line %09d %065d", seq, 0)
		})), "Append")
	}
	c.take()
	for _, after := range []int64{0, 1, 4_999, 54_321, total - 1000, total - 10} {
		t.Run(fmt.Sprint("after ", after), func(t *testing.T) {
			got, err := st.Output().List(ctx, task.ID, after, 1000)
			must(t, err, "List")
			if want := min(1000, total-int(after)); len(got) != want || got[0].Seq != after+1 {
				t.Fatalf("List returned %d lines from %d, want %d from %d", len(got), got[0].Seq, want, after+1)
			}
			scanned, _ := c.take()
			if n := scanned["output"]; n < 1 || n > 2 {
				t.Errorf("List scanned %d chunks, want 1 or 2", n)
			}
		})
	}
}

// TestOutput_AppendAcrossServers races appends of the same lines from two
// stores on one backend: one wins, the other finds its lines stored.
func TestOutput_AppendAcrossServers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, err := kvstore.New(t.Context(), f.b, nil)
	must(t, err, "open a second store")
	task := f.newTask(t, f.project.ID, 0, model.TaskRunning)
	ctx := context.WithoutCancel(t.Context())
	for first := int64(1); first <= 100; first += 10 {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for _, st := range []store.Store{f.st, other, f.st, other} {
			wg.Go(func() {
				err := st.Output().Append(ctx, task.ID, lines(first, 10, func(int64) string { return "x" }))
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, model.ErrConflict):
					t.Errorf("Append: %v, want a conflict", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("lines from %d: %d appends won, want 1", first, wins)
		}
	}
	n, err := f.st.Output().Count(ctx, task.ID)
	must(t, err, "Count")
	if n != 100 {
		t.Errorf("Count = %d, want 100", n)
	}
	checkTaskIndexes(t, f.b)
}
