package model

import (
	"errors"
	"fmt"
)

// Error classes. Every error that reaches the API wraps at most one of them,
// and that class alone decides the HTTP status.
var (
	// ErrInvalid marks bad input (400).
	ErrInvalid = errors.New("invalid")
	// ErrUnauthenticated marks a request without valid credentials (401).
	ErrUnauthenticated = errors.New("not authenticated")
	// ErrForbidden marks a request the user may not make (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound marks a missing or hidden object (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a clash with existing state (409).
	ErrConflict = errors.New("conflict")
	// ErrUnprocessable marks well-formed input that cannot be acted on (422).
	ErrUnprocessable = errors.New("unprocessable")
	// ErrUnavailable marks a dependency that is down (503).
	ErrUnavailable = errors.New("unavailable")
)

// classError carries a message and its class. Its Error is the message
// alone, so API responses read naturally.
type classError struct {
	class error
	msg   string
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

func classed(class error, format string, args ...any) error {
	return &classError{class: class, msg: fmt.Sprintf(format, args...)}
}

// Invalidf returns an ErrInvalid error with a message.
func Invalidf(format string, args ...any) error { return classed(ErrInvalid, format, args...) }

// NotFoundf returns an ErrNotFound error with a message.
func NotFoundf(format string, args ...any) error { return classed(ErrNotFound, format, args...) }

// Conflictf returns an ErrConflict error with a message.
func Conflictf(format string, args ...any) error { return classed(ErrConflict, format, args...) }

// Forbiddenf returns an ErrForbidden error with a message.
func Forbiddenf(format string, args ...any) error { return classed(ErrForbidden, format, args...) }

// Unauthenticatedf returns an ErrUnauthenticated error with a message.
func Unauthenticatedf(format string, args ...any) error {
	return classed(ErrUnauthenticated, format, args...)
}

// Unprocessablef returns an ErrUnprocessable error with a message.
func Unprocessablef(format string, args ...any) error {
	return classed(ErrUnprocessable, format, args...)
}

// Unavailablef returns an ErrUnavailable error with a message.
func Unavailablef(format string, args ...any) error { return classed(ErrUnavailable, format, args...) }
