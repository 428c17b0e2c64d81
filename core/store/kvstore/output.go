package kvstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
	"github.com/signalbox/signalbox/core/store/outputcodec"
)

// Buckets of task output:
//
//	output       task id, last seq → first seq (a key int64), chunk body
//	output.meta  task id → last seq, line count (key int64s)
//
// A chunk holds consecutive lines of a task, about outputcodec.MaxChunkBody
// bytes of them, encoded by package outputcodec. Keyed by its last seq, the
// chunk holding the line after afterSeq is the first key from
// (task, afterSeq+1) on, so List reads a page with a short forward scan.
// A task's meta entry is written when the task is created and deleted with
// it: it makes LastSeq and Count one read, and its presence says that the
// task exists, so Append does not read (and depend on) the task's
// document, which the runner's transitions change.
const (
	outputBucket = "output"
	outputMeta   = "output.meta"
)

const (
	// tailMergeBody is the size under which a task's last chunk takes the
	// lines of the next Append, so that small appends (a slow task's
	// output, flushed every few hundred milliseconds) do not leave a chunk
	// per append, while a rewrite copies at most this much.
	tailMergeBody = 64 << 10
	// listPageChunks is the most chunks List fetches per backend scan.
	listPageChunks = 16
)

type output struct{ s *Store }

var _ store.Output = output{}

// Output returns the task output store.
func (s *Store) Output() store.Output { return output{s} }

func outputMetaValue(lastSeq, count int64) []byte { return key(lastSeq, count) }

// meta reads a task's last seq and line count; ok is false when the task
// does not exist.
func (o output) meta(ctx context.Context, taskID int64) (lastSeq, count int64, ok bool, err error) {
	raw, ok, err := o.s.get(ctx, outputMeta, key(taskID))
	if err != nil || !ok {
		return 0, 0, false, err
	}
	if len(raw) != 16 {
		return 0, 0, false, fmt.Errorf("output of task %d: bad meta entry of %d bytes", taskID, len(raw))
	}
	return idAt(raw, 0), idAt(raw, 8), true, nil
}

// Append encodes lines, which must have consecutive Seqs from at least 1
// and follow the task's stored ones, into chunks of about 256 KiB, in one
// transaction. A last chunk under tailMergeBody that the lines continue
// takes the first of them.
func (o output) Append(ctx context.Context, taskID int64, lines []model.OutputLine) error {
	if len(lines) == 0 {
		return nil
	}
	if err := outputcodec.CheckSeqs(taskID, lines); err != nil {
		return err
	}
	first := lines[0].Seq
	err := o.s.update(ctx, func(ctx context.Context) error {
		lastSeq, count, ok, err := o.meta(ctx, taskID)
		if err != nil {
			return err
		}
		if !ok {
			return model.NotFoundf("task %d not found", taskID)
		}
		if first <= lastSeq {
			return model.Conflictf("output of task %d already has lines from seq %d", taskID, first)
		}
		// chunk is the chunk being filled: its first seq (a key int64),
		// then its body.
		var chunk []byte
		if lastSeq > 0 && first == lastSeq+1 {
			tail, ok, err := o.s.get(ctx, outputBucket, key(taskID, lastSeq))
			if err != nil {
				return err
			}
			if ok && len(tail) > 8 && len(tail)-8 < tailMergeBody &&
				len(tail)-8+outputcodec.EncodedLen(len(lines[0].Text)) <= outputcodec.MaxChunkBody {
				if err := o.s.del(ctx, outputBucket, key(taskID, lastSeq)); err != nil {
					return err
				}
				chunk = tail
			}
		}
		for i, l := range lines {
			size := outputcodec.EncodedLen(len(l.Text))
			if chunk != nil && len(chunk)-8+size > outputcodec.MaxChunkBody {
				if err := o.s.put(ctx, outputBucket, key(taskID, l.Seq-1), chunk); err != nil {
					return err
				}
				chunk = nil
			}
			if chunk == nil {
				chunk = make([]byte, 0, 9+min(outputcodec.MaxChunkBody, size*(len(lines)-i)))
				chunk = append(append(chunk, key(l.Seq)...), outputcodec.Version)
			}
			chunk = outputcodec.AppendLine(chunk, l.Time, l.Text)
		}
		last := lines[len(lines)-1].Seq
		if err := o.s.put(ctx, outputBucket, key(taskID, last), chunk); err != nil {
			return err
		}
		return o.s.put(ctx, outputMeta, key(taskID), outputMetaValue(last, count+int64(len(lines))))
	})
	return annotate(err, "append output of task %d", taskID)
}

// List scans the chunks from the one holding the line after afterSeq on,
// a few at a time, until it has limit lines.
func (o output) List(ctx context.Context, taskID, afterSeq int64, limit int) ([]model.OutputLine, error) {
	if limit < 0 {
		return nil, model.Invalidf("list output of task %d: negative limit %d", taskID, limit)
	}
	afterSeq = max(afterSeq, 0)
	if afterSeq == math.MaxInt64 {
		return nil, nil
	}
	var out []model.OutputLine
	if limit > 0 {
		out = make([]model.OutputLine, 0, min(limit, 4096))
	}
	// A chunk holds thousands of lines: a small page needs one or two.
	pageChunks := 0
	if limit > 0 {
		pageChunks = min(listPageChunks, 2+limit/4096)
	}
	last := afterSeq // the highest seq in out, or afterSeq
	r := scanRange{bucket: outputBucket, prefix: key(taskID), start: key(taskID, afterSeq+1)}
	err := o.s.scan(ctx, r, pageChunks, func(k, v []byte) error {
		if len(v) < 9 {
			return fmt.Errorf("%w: chunk of %d bytes", outputcodec.ErrBadChunk, len(v))
		}
		firstSeq, lastSeq := idAt(v, 0), lastID(k)
		skip := int(max(0, last-firstSeq+1))
		n, err := outputcodec.DecodeFrom(v[8:], skip, func(i int, at time.Time, text string) {
			seq := firstSeq + int64(i)
			if seq <= last || (limit > 0 && len(out) >= limit) {
				return
			}
			out = append(out, model.OutputLine{TaskID: taskID, Seq: seq, Time: at, Text: text})
			last = seq
		})
		if err == nil && int64(n) != lastSeq-firstSeq+1 {
			err = fmt.Errorf("%w: %d lines for seqs %d..%d", outputcodec.ErrBadChunk, n, firstSeq, lastSeq)
		}
		if err != nil {
			return fmt.Errorf("chunk at seq %d: %w", firstSeq, err)
		}
		if limit > 0 && len(out) >= limit {
			return errStop
		}
		return nil
	})
	if err != nil {
		return nil, annotate(err, "list output of task %d", taskID)
	}
	return out, nil
}

// LastSeq reads the task's meta entry: 0 when the task has no output or
// does not exist.
func (o output) LastSeq(ctx context.Context, taskID int64) (int64, error) {
	last, _, _, err := o.meta(ctx, taskID)
	if err != nil {
		return 0, annotate(err, "last output seq of task %d", taskID)
	}
	return last, nil
}

// Count reads the task's meta entry, which counts the lines stored, so it
// stays right even if a caller left gaps between seqs.
func (o output) Count(ctx context.Context, taskID int64) (int64, error) {
	_, n, _, err := o.meta(ctx, taskID)
	if err != nil {
		return 0, annotate(err, "count output of task %d", taskID)
	}
	return n, nil
}

// deleteOutput removes a task's chunks and meta entry.
func (s *Store) deleteOutput(ctx context.Context, taskID int64) error {
	if err := s.delPrefix(ctx, outputBucket, key(taskID)); err != nil {
		return err
	}
	return s.del(ctx, outputMeta, key(taskID))
}
