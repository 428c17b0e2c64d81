package storetest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store/storetest"
)

// BenchmarkOutput_ReadPages measures reading a 1,000,000-line log page by
// page (?offset=&limit= of the API) at pages spread over the whole log:
// one op is one page of 1,000 lines.
func BenchmarkOutput_ReadPages(b *testing.B) {
	const lines, pageSize, batch = 1_000_000, 1000, 10_000
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			ctx := context.Background()
			p := model.Project{Name: "bench"}
			if err := st.Projects().Create(ctx, &p); err != nil {
				b.Fatal(err)
			}
			tk := model.Task{ProjectID: p.ID, TemplateID: 1, Status: model.TaskSuccess}
			if err := st.Tasks().Create(ctx, &tk); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			buf := make([]model.OutputLine, batch)
			for first := 1; first <= lines; first += batch {
				for i := range buf {
					seq := int64(first + i)
					buf[i] = model.OutputLine{TaskID: tk.ID, Seq: seq, Time: now, Text: fmt.Sprintf("line %09d %065d", seq, 0)}
				}
				if err := st.Output().Append(ctx, tk.ID, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				after := int64((i * 7919 * pageSize) % (lines - pageSize))
				got, err := st.Output().List(ctx, tk.ID, after, pageSize)
				if err != nil || len(got) != pageSize || got[0].Seq != after+1 {
					b.Fatalf("page after %d: %d lines, %v", after, len(got), err)
				}
				i++
			}
			b.ReportMetric(float64(pageSize)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkOutput_Append measures storing batches of 5,000 lines of 80
// bytes, as the runner's sink does.
func BenchmarkOutput_Append(b *testing.B) {
	const batch = 5000
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			st := storetest.Open(b, d)
			ctx := context.Background()
			p := model.Project{Name: "bench"}
			if err := st.Projects().Create(ctx, &p); err != nil {
				b.Fatal(err)
			}
			tk := model.Task{ProjectID: p.ID, TemplateID: 1, Status: model.TaskRunning}
			if err := st.Tasks().Create(ctx, &tk); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			buf := make([]model.OutputLine, batch)
			seq := int64(0)
			b.ResetTimer()
			for b.Loop() {
				for i := range buf {
					seq++
					buf[i] = model.OutputLine{TaskID: tk.ID, Seq: seq, Time: now, Text: fmt.Sprintf("line %09d %065d", seq, 0)}
				}
				if err := st.Output().Append(ctx, tk.ID, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
