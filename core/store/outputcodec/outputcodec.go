// Package outputcodec is the encoding of task output that the stores share:
// a chunk body holds consecutive output lines of one task, so that a store
// keeps a task's log as a few large values instead of a row per line.
//
//	body = version line*
//	line = time text-length text
//
// version is the byte Version; time is a signed varint of Unix nanoseconds
// (math.MinInt64 for the zero time); text-length an unsigned varint; text
// the line's raw bytes, so that any byte string round-trips. The stores
// keep a chunk's first and last sequence numbers beside its body.
package outputcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/signalbox/signalbox/core/model"
)

// Version is the first byte of every chunk body.
const Version = 1

// zeroTime encodes the zero time.Time, which has no Unix nanoseconds.
const zeroTime = math.MinInt64

// MaxChunkBody is the size past which lines go to a new chunk. A chunk
// holding a single longer line is longer.
const MaxChunkBody = 256 << 10

// ErrBadChunk says a chunk body does not decode.
var ErrBadChunk = errors.New("corrupt output chunk")

// AppendLine appends one encoded line to body, which starts with Version.
func AppendLine(body []byte, at time.Time, text string) []byte {
	ns := int64(zeroTime)
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	body = binary.AppendVarint(body, ns)
	body = binary.AppendUvarint(body, uint64(len(text)))
	return append(body, text...)
}

// EncodedLen bounds the encoded size of a line of n bytes.
func EncodedLen(n int) int { return 2*binary.MaxVarintLen64 + n }

// Decode calls fn for each line of body, with its index from 0, and
// returns how many lines body holds.
func Decode(body []byte, fn func(i int, at time.Time, text string)) (int, error) {
	return DecodeFrom(body, 0, fn)
}

// DecodeFrom checks every line of body and returns their count, but calls
// fn only for the lines from index skip on: a page that starts in the
// middle of a chunk allocates nothing for the lines before it. Times
// decode in UTC.
func DecodeFrom(body []byte, skip int, fn func(i int, at time.Time, text string)) (int, error) {
	if len(body) == 0 || body[0] != Version {
		return 0, fmt.Errorf("%w: unknown version", ErrBadChunk)
	}
	b := body[1:]
	i := 0
	for len(b) > 0 {
		ns, n := binary.Varint(b)
		if n <= 0 {
			return i, fmt.Errorf("%w: bad time of line %d", ErrBadChunk, i)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return i, fmt.Errorf("%w: bad length of line %d", ErrBadChunk, i)
		}
		b = b[n:]
		if i >= skip {
			var at time.Time
			if ns != zeroTime {
				at = time.Unix(0, ns).UTC()
			}
			fn(i, at, string(b[:size]))
		}
		b = b[size:]
		i++
	}
	return i, nil
}

// CheckSeqs refuses lines to append whose Seqs are not consecutive from at
// least 1, with model.ErrInvalid.
func CheckSeqs(taskID int64, lines []model.OutputLine) error {
	if len(lines) == 0 {
		return nil
	}
	first := lines[0].Seq
	if first < 1 {
		return model.Invalidf("append output of task %d: seq %d is not positive", taskID, first)
	}
	for i, l := range lines {
		if l.Seq != first+int64(i) {
			return model.Invalidf("append output of task %d: seq %d follows seq %d", taskID, l.Seq, lines[i-1].Seq)
		}
	}
	return nil
}
