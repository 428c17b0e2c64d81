package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/outputcodec"
)

// chunkRow is a row of task_output_chunks: the lines first_seq..last_seq of
// a task, encoded by package outputcodec.
type chunkRow struct {
	TaskID   int64  `gorm:"column:task_id;primaryKey;autoIncrement:false"`
	FirstSeq int64  `gorm:"column:first_seq;primaryKey;autoIncrement:false"`
	LastSeq  int64  `gorm:"column:last_seq"`
	Body     []byte `gorm:"column:body"`
}

func (chunkRow) TableName() string { return "task_output_chunks" }

const (
	// maxInsertBody caps the chunk bytes of one INSERT, well under MySQL's
	// smallest max_allowed_packet default (4 MiB).
	maxInsertBody = 2 << 20
	// listPageChunks is how many chunks List fetches per query.
	listPageChunks = 16
)

// output implements store.Output.
type output struct{ s *Store }

var _ store.Output = output{}

// Append encodes lines, which must have consecutive Seqs from at least 1,
// into chunks of about 256 KiB and inserts them in one multi-row INSERT
// (several, in one transaction, past 2 MiB).
func (o output) Append(ctx context.Context, taskID int64, lines []model.OutputLine) error {
	if len(lines) == 0 {
		return nil
	}
	if err := outputcodec.CheckSeqs(taskID, lines); err != nil {
		return err
	}
	batches := chunkLines(taskID, lines)
	insert := func(ctx context.Context) error {
		for _, rows := range batches {
			if err := o.s.db(ctx).Create(&rows).Error; err != nil {
				switch {
				case isDuplicate(err):
					return model.Conflictf("output of task %d already has lines from seq %d", taskID, rows[0].FirstSeq)
				case isForeignKey(err):
					return model.NotFoundf("task %d not found", taskID)
				}
				return fmt.Errorf("append output of task %d: %w", taskID, err)
			}
		}
		return nil
	}
	if len(batches) == 1 {
		return insert(ctx)
	}
	return o.s.WithTx(ctx, insert)
}

// chunkLines encodes lines into chunks, grouped into INSERT batches.
func chunkLines(taskID int64, lines []model.OutputLine) [][]chunkRow {
	var (
		batches   [][]chunkRow
		batch     []chunkRow
		batchSize int
		body      []byte
		firstSeq  int64
	)
	flush := func(lastSeq int64) {
		batch = append(batch, chunkRow{TaskID: taskID, FirstSeq: firstSeq, LastSeq: lastSeq, Body: body})
		batchSize += len(body)
		body = nil
		if batchSize >= maxInsertBody {
			batches = append(batches, batch)
			batch, batchSize = nil, 0
		}
	}
	for i, l := range lines {
		if body != nil && len(body)+outputcodec.EncodedLen(len(l.Text)) > outputcodec.MaxChunkBody {
			flush(lines[i-1].Seq)
		}
		if body == nil {
			body = make([]byte, 0, min(outputcodec.MaxChunkBody, outputcodec.EncodedLen(len(l.Text))*(len(lines)-i)+1))
			body = append(body, outputcodec.Version)
			firstSeq = l.Seq
		}
		body = outputcodec.AppendLine(body, l.Time, l.Text)
	}
	flush(lines[len(lines)-1].Seq)
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	return batches
}

// List reads the chunks holding lines after afterSeq, a page of chunks at a
// time, until it has limit lines.
func (o output) List(ctx context.Context, taskID, afterSeq int64, limit int) ([]model.OutputLine, error) {
	if limit < 0 {
		return nil, model.Invalidf("list output of task %d: negative limit %d", taskID, limit)
	}
	var out []model.OutputLine
	if limit > 0 {
		out = make([]model.OutputLine, 0, min(limit, 4096))
	}
	last := afterSeq // the highest seq in out, or afterSeq
	// A small page needs a chunk or two (a chunk holds thousands of lines):
	// start with few chunks, then fetch more at a time.
	pageChunks := listPageChunks
	if limit > 0 {
		pageChunks = min(listPageChunks, 2+limit/4096)
	}
	for {
		var rows []chunkRow
		err := o.s.db(ctx).Where("task_id = ? AND last_seq > ?", taskID, last).
			Order("last_seq").Limit(pageChunks).Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("list output of task %d: %w", taskID, err)
		}
		for _, r := range rows {
			skip := int(max(0, last-r.FirstSeq+1))
			n, err := outputcodec.DecodeFrom(r.Body, skip, func(i int, at time.Time, text string) {
				seq := r.FirstSeq + int64(i)
				if seq <= last || (limit > 0 && len(out) >= limit) {
					return
				}
				out = append(out, model.OutputLine{TaskID: taskID, Seq: seq, Time: at, Text: text})
				last = seq
			})
			if err == nil && int64(n) != r.LastSeq-r.FirstSeq+1 {
				err = fmt.Errorf("%w: %d lines for seqs %d..%d", outputcodec.ErrBadChunk, n, r.FirstSeq, r.LastSeq)
			}
			if err != nil {
				return nil, fmt.Errorf("list output of task %d: chunk at seq %d: %w", taskID, r.FirstSeq, err)
			}
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
		if len(rows) < pageChunks {
			return out, nil
		}
		pageChunks = min(listPageChunks, 2*pageChunks)
	}
}

func (o output) LastSeq(ctx context.Context, taskID int64) (int64, error) {
	var last int64
	err := o.s.db(ctx).Model(&chunkRow{}).Select("COALESCE(MAX(last_seq), 0)").
		Where("task_id = ?", taskID).Scan(&last).Error
	if err != nil {
		return 0, fmt.Errorf("last output seq of task %d: %w", taskID, err)
	}
	return last, nil
}

// Count sums the lines of the task's chunks, so it stays right even if a
// caller left gaps between seqs.
func (o output) Count(ctx context.Context, taskID int64) (int64, error) {
	var n int64
	err := o.s.db(ctx).Model(&chunkRow{}).Select("COALESCE(SUM(last_seq - first_seq + 1), 0)").
		Where("task_id = ?", taskID).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count output of task %d: %w", taskID, err)
	}
	return n, nil
}
