package kvstore

import "encoding/binary"

// Keys are built from parts that sort as their values do:
//
//   - an int64 id is 8 bytes, big-endian, with the sign bit flipped, so
//     negative numbers sort first;
//   - a string is its bytes and a 0x00 terminator, so that "a" sorts
//     before "ab" and a prefix scan on one string part finds only it.
//     Strings in keys must not hold 0x00 (names and logins do not);
//   - desc(id) sorts ids newest first.

// key builds a key of parts: int64, string, descending or []byte.
func key(parts ...any) []byte {
	b := make([]byte, 0, 8*len(parts))
	for _, p := range parts {
		switch v := p.(type) {
		case int64:
			b = binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
		case string:
			b = append(b, v...)
			b = append(b, 0)
		case descending:
			b = binary.BigEndian.AppendUint64(b, ^(uint64(v) ^ (1 << 63)))
		case []byte:
			b = append(b, v...)
		default:
			panic("kvstore: bad key part")
		}
	}
	return b
}

// descending is an id that sorts in reverse.
type descending int64

// idAt decodes the int64 at byte offset off of a key.
func idAt(k []byte, off int) int64 {
	return int64(binary.BigEndian.Uint64(k[off:off+8]) ^ (1 << 63))
}

// lastID decodes the int64 a key ends with.
func lastID(k []byte) int64 { return idAt(k, len(k)-8) }
