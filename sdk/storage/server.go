package storage

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	storagev1 "github.com/signalbox/signalbox/sdk/internal/gen/storagev1"
)

// The states of a server's store.
const (
	stateNew = iota
	stateOpen
	stateClosed
)

// server adapts a Plugin to the gRPC service. It validates every request
// before the backend sees it, refuses Backend calls before Open and after
// Close, and turns the backend's errors into statuses the client maps back.
type server struct {
	storagev1.UnimplementedStorageServiceServer
	impl Plugin
	log  hclog.Logger

	// openMu serialises Open calls, so that a slow Open (a file lock) does
	// not hold mu.
	openMu sync.Mutex
	// mu guards state and backend. Backend calls hold it shared for their
	// whole duration, so that closing waits for them.
	mu      sync.RWMutex
	state   int
	backend Backend
}

func newServer(impl Plugin, log hclog.Logger) *server {
	return &server{impl: impl, log: log}
}

// toStatus turns a backend error into a status of its class.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code := codes.Internal
	switch {
	case errors.Is(err, ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, ErrNotOpen):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}

// recover turns a panic of the implementation into an Internal status, so
// that one bad call does not take the store down with the process.
func (s *server) recover(method string, err *error) {
	if p := recover(); p != nil {
		s.log.Error("storage backend panicked", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "%s: storage backend panicked: %v", method, p)
	}
}

// acquire returns the open backend and holds it open until release is
// called.
func (s *server) acquire() (b Backend, release func(), err error) {
	s.mu.RLock()
	switch s.state {
	case stateOpen:
		return s.backend, s.mu.RUnlock, nil
	case stateClosed:
		s.mu.RUnlock()
		return nil, nil, status.Error(codes.Unavailable, fmt.Sprintf("%v: the store is closed", ErrUnavailable))
	}
	s.mu.RUnlock()
	return nil, nil, status.Error(codes.FailedPrecondition, fmt.Sprintf("%v: call Open first", ErrNotOpen))
}

func (s *server) Describe(ctx context.Context, _ *storagev1.DescribeRequest) (resp *storagev1.DescribeResponse, err error) {
	defer s.recover("describe", &err)
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, toStatus(fmt.Errorf("describe: %w", err))
	}
	return &storagev1.DescribeResponse{Name: d.Name, Version: d.Version}, nil
}

func (s *server) Open(ctx context.Context, req *storagev1.OpenRequest) (resp *storagev1.OpenResponse, err error) {
	defer s.recover("open", &err)
	s.openMu.Lock()
	defer s.openMu.Unlock()
	s.mu.RLock()
	st := s.state
	s.mu.RUnlock()
	switch st {
	case stateOpen:
		return nil, status.Error(codes.AlreadyExists, "the store is open already: Open is called once per plugin process")
	case stateClosed:
		return nil, status.Error(codes.Unavailable, fmt.Sprintf("%v: the store is closed", ErrUnavailable))
	}
	b, err := s.impl.Open(ctx, Config{DSN: req.GetDsn(), Settings: req.GetSettings()})
	if err != nil {
		return nil, toStatus(fmt.Errorf("open: %w", err))
	}
	if b == nil {
		return nil, status.Error(codes.Internal, "open: the plugin returned no backend")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateClosed {
		// The plugin was shut down while it opened the store.
		if err := b.Close(); err != nil {
			s.log.Error("close the store", "error", err)
		}
		return nil, status.Error(codes.Unavailable, fmt.Sprintf("%v: the store is closed", ErrUnavailable))
	}
	s.state, s.backend = stateOpen, b
	s.log.Info("store open")
	return &storagev1.OpenResponse{}, nil
}

func (s *server) Get(ctx context.Context, req *storagev1.GetRequest) (resp *storagev1.GetResponse, err error) {
	defer s.recover("get", &err)
	bucket := string(req.GetBucket())
	if err := ValidateBucket(bucket); err != nil {
		return nil, toStatus(err)
	}
	b, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	vals, err := b.Get(ctx, bucket, req.GetKeys())
	if err != nil {
		return nil, toStatus(err)
	}
	if len(vals) != len(req.GetKeys()) {
		return nil, status.Errorf(codes.Internal, "get: the backend returned %d values for %d keys", len(vals), len(req.GetKeys()))
	}
	return &storagev1.GetResponse{Values: valuesToProto(vals)}, nil
}

func (s *server) Scan(ctx context.Context, req *storagev1.ScanRequest) (resp *storagev1.ScanResponse, err error) {
	defer s.recover("scan", &err)
	scan := scanRequestFromProto(req)
	if err := ValidateBucket(scan.Bucket); err != nil {
		return nil, toStatus(err)
	}
	b, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := b.Scan(ctx, scan)
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.ScanResponse{Items: itemsToProto(res.Items), More: res.More}, nil
}

func (s *server) Apply(ctx context.Context, req *storagev1.ApplyRequest) (resp *storagev1.ApplyResponse, err error) {
	defer s.recover("apply", &err)
	batch := batchFromProto(req)
	if err := ValidateBatch(batch); err != nil {
		return nil, toStatus(err)
	}
	b, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := b.Apply(ctx, batch)
	if err != nil {
		return nil, toStatus(err)
	}
	if !res.Applied && (res.FailedCondition < 0 || res.FailedCondition >= len(batch.Conditions)) {
		return nil, status.Errorf(codes.Internal, "apply: the backend reports failed condition %d of %d", res.FailedCondition, len(batch.Conditions))
	}
	out := &storagev1.ApplyResponse{Applied: res.Applied}
	if !res.Applied {
		out.FailedCondition = uint32(res.FailedCondition)
	}
	return out, nil
}

func (s *server) NextID(ctx context.Context, req *storagev1.NextIDRequest) (resp *storagev1.NextIDResponse, err error) {
	defer s.recover("next id", &err)
	collection := string(req.GetCollection())
	if err := ValidateBucket(collection); err != nil {
		return nil, toStatus(fmt.Errorf("collection: %w", err))
	}
	b, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	first, err := b.NextID(ctx, collection, req.GetCount(), req.GetAtLeast())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.NextIDResponse{First: first}, nil
}

func (s *server) Health(ctx context.Context, _ *storagev1.HealthRequest) (resp *storagev1.HealthResponse, err error) {
	defer s.recover("health", &err)
	b, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	if err := b.Health(ctx); err != nil {
		// An unhealthy store cannot serve: that is what Unavailable says.
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &storagev1.HealthResponse{}, nil
}

func (s *server) Close(context.Context, *storagev1.CloseRequest) (resp *storagev1.CloseResponse, err error) {
	defer s.recover("close", &err)
	if err := s.close(); err != nil {
		return nil, status.Errorf(codes.Internal, "close: %v", err)
	}
	return &storagev1.CloseResponse{}, nil
}

// close closes the backend once every call in progress has returned. Later
// calls fail with Unavailable; closing again does nothing.
func (s *server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, b := s.state, s.backend
	s.state, s.backend = stateClosed, nil
	if st != stateOpen {
		return nil
	}
	if err := b.Close(); err != nil {
		return err
	}
	s.log.Info("store closed")
	return nil
}
