// Package archtest holds no code: its test checks the dependency rules of
// docs/ARCHITECTURE.md with `go list -deps`, so a forbidden import fails
// `make test`.
package archtest
