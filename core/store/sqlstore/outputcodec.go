package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// A chunk body holds consecutive output lines of one task:
//
//	body = version line*
//	line = time text-length text
//
// version is the byte chunkVersion; time is a signed varint of Unix
// nanoseconds (zeroTime for the zero time); text-length an unsigned varint;
// text the line's raw bytes, so that any byte string round-trips.
const chunkVersion = 1

// zeroTime encodes the zero time.Time, which has no Unix nanoseconds.
const zeroTime = math.MinInt64

// maxChunkBody is the size past which lines go to a new chunk.
const maxChunkBody = 256 << 10

var errBadChunk = errors.New("corrupt output chunk")

// appendLine appends one encoded line to body.
func appendLine(body []byte, at time.Time, text string) []byte {
	ns := int64(zeroTime)
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	body = binary.AppendVarint(body, ns)
	body = binary.AppendUvarint(body, uint64(len(text)))
	return append(body, text...)
}

// encodedLen bounds the encoded size of a line of n bytes.
func encodedLen(n int) int { return 2*binary.MaxVarintLen64 + n }

// decodeChunk calls fn for each line of body, with its index from 0.
func decodeChunk(body []byte, fn func(i int, at time.Time, text string)) (int, error) {
	return decodeChunkFrom(body, 0, fn)
}

// decodeChunkFrom checks every line of body and returns their count, but
// calls fn only for the lines from index skip on: a page that starts in the
// middle of a chunk allocates nothing for the lines before it.
func decodeChunkFrom(body []byte, skip int, fn func(i int, at time.Time, text string)) (int, error) {
	if len(body) == 0 || body[0] != chunkVersion {
		return 0, fmt.Errorf("%w: unknown version", errBadChunk)
	}
	b := body[1:]
	i := 0
	for len(b) > 0 {
		ns, n := binary.Varint(b)
		if n <= 0 {
			return i, fmt.Errorf("%w: bad time of line %d", errBadChunk, i)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return i, fmt.Errorf("%w: bad length of line %d", errBadChunk, i)
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
