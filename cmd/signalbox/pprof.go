//go:build pprof

package main

// Built only with -tags pprof (profiling the server under load, see
// docs/benchmarks.md): serves net/http/pprof on SIGNALBOX_PPROF_LISTEN.

import (
	"net/http"
	_ "net/http/pprof" // registers the /debug/pprof handlers
	"os"
)

// profiling keeps the runtime's heap-profile sampling on.
const profiling = true

func init() {
	if addr := os.Getenv("SIGNALBOX_PPROF_LISTEN"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
