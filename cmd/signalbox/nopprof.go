//go:build !pprof

package main

// profiling is off in a normal build: see main.
const profiling = false
