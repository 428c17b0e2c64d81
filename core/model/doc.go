// Package model holds Signalbox's domain types and error classes. It imports
// only the standard library; every other core package speaks these types.
package model
