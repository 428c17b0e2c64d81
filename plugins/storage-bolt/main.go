// Command signalbox-plugin-storage-bolt is the built-in storage plugin: the
// server's data in one bbolt file (go.etcd.io/bbolt), a B+tree with
// copy-on-write pages and fsync on commit, so that a crash leaves every
// batch applied or not at all. See docs/plugins.md, "The built-in bolt
// storage plugin".
//
// The DSN is the file's path. Settings:
//
//   - lock_timeout: how long Open waits for the file lock that a second
//     process holding the file keeps (a Go duration, default 5s).
//   - no_sync: "true" skips fsync on commit: faster, and a crash of the
//     machine (not of the process) may lose the last batches. Default false.
//
// Layout of the file, in bbolt buckets at the top level:
//
//   - "data" holds one nested bucket per storage bucket, named as it is;
//     keys and values are stored as they are.
//   - "seq" maps each sequence's collection name to the last id handed
//     out, 8 bytes big-endian.
//   - "meta" holds "format" = "1", the version of this layout.
//
// Nesting the storage buckets under "data" keeps every name the server can
// choose apart from the plugin's own buckets: no name is reserved.
package main

import "github.com/signalbox/signalbox/sdk/storage"

func main() { storage.Serve(&Plugin{}) }
