package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	storagev1 "github.com/signalbox/signalbox/sdk/internal/gen/storagev1"
)

// maxMessageBytes bounds one message either way: a batch of MaxBatchBytes
// with its encoding overhead, or a page or Get answer as large.
const maxMessageBytes = 2 * MaxBatchBytes

// callOpts lift gRPC's default 4 MiB receive limit on every call.
var callOpts = []grpc.CallOption{grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)}

// closeTimeout bounds Close: the plugin waits for the calls in progress.
const closeTimeout = 30 * time.Second

// Client is the host side of the storage protocol. It is a Plugin whose
// Open opens the store in the plugin process and returns the Client itself
// as the Backend. Its methods are safe for concurrent use.
//
// Errors keep their class across the process boundary: errors.Is finds
// ErrInvalid (a malformed request, or one larger than the transport
// carries), ErrNotOpen (a call before Open) and ErrUnavailable (the store
// or the plugin cannot serve: the plugin process exited, the connection
// broke, the call's deadline passed — then context.DeadlineExceeded too).
// A call cancelled by its ctx returns an error wrapping context.Canceled.
//
// An Apply or NextID that fails with ErrUnavailable may have taken effect:
// a batch that must not apply twice needs a condition that a second
// attempt fails.
type Client struct {
	rpc storagev1.StorageServiceClient
	// done is cancelled when the plugin process exits; calls then fail
	// with ErrUnavailable without trying the connection.
	done context.Context
}

var (
	_ Plugin  = (*Client)(nil)
	_ Backend = (*Client)(nil)
)

// NewClient returns a client on a gRPC connection to a storage plugin.
// done should be cancelled when the plugin process exits; it may be nil.
func NewClient(done context.Context, conn grpc.ClientConnInterface) *Client {
	if done == nil {
		done = context.Background()
	}
	return &Client{rpc: storagev1.NewStorageServiceClient(conn), done: done}
}

// Exited returns a channel closed when the plugin process has exited.
func (c *Client) Exited() <-chan struct{} { return c.done.Done() }

// remoteError is an error of a class that came over the wire.
type remoteError struct {
	class error
	msg   string
}

func (e *remoteError) Error() string {
	// Plugin errors usually say their class already.
	if strings.Contains(e.msg, e.class.Error()) {
		return e.msg
	}
	return e.class.Error() + ": " + e.msg
}

func (e *remoteError) Unwrap() error { return e.class }

// exited is the error of a call to a plugin whose process is gone.
func (c *Client) exited() error {
	return &remoteError{class: ErrUnavailable, msg: "the storage plugin exited"}
}

// wrap gives a failed call's error its class.
func (c *Client) wrap(ctx context.Context, err error) error {
	if c.done.Err() != nil {
		return c.exited()
	}
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch s.Code() {
	case codes.InvalidArgument:
		return &remoteError{class: ErrInvalid, msg: s.Message()}
	case codes.ResourceExhausted:
		return &remoteError{class: ErrInvalid, msg: "too large for the transport: " + s.Message()}
	case codes.FailedPrecondition:
		return &remoteError{class: ErrNotOpen, msg: s.Message()}
	case codes.Unavailable:
		return &remoteError{class: ErrUnavailable, msg: s.Message()}
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %w%s", ErrUnavailable, context.DeadlineExceeded, detail(s, context.DeadlineExceeded))
	case codes.Canceled:
		if ctx.Err() != nil {
			return fmt.Errorf("%w%s", context.Cause(ctx), detail(s, context.Canceled))
		}
		// Not the caller's doing: the connection is closing.
		return &remoteError{class: ErrUnavailable, msg: s.Message()}
	}
	return err
}

// detail is ": " and the status message, unless it only repeats err.
func detail(s *status.Status, err error) string {
	if s.Message() == "" || s.Message() == err.Error() {
		return ""
	}
	return ": " + s.Message()
}

// Describe asks the plugin who it is.
func (c *Client) Describe(ctx context.Context) (Description, error) {
	if c.done.Err() != nil {
		return Description{}, fmt.Errorf("describe: %w", c.exited())
	}
	resp, err := c.rpc.Describe(ctx, &storagev1.DescribeRequest{})
	if err != nil {
		return Description{}, fmt.Errorf("describe: %w", c.wrap(ctx, err))
	}
	return Description{Name: resp.GetName(), Version: resp.GetVersion()}, nil
}

// Open opens the store in the plugin process with cfg and returns c. It
// may be called again after a failure (the file was locked, say), but not
// once it succeeded: a plugin process serves one store.
func (c *Client) Open(ctx context.Context, cfg Config) (Backend, error) {
	if c.done.Err() != nil {
		return nil, fmt.Errorf("open: %w", c.exited())
	}
	if err := validUTF8(cfg); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	_, err := c.rpc.Open(ctx, &storagev1.OpenRequest{Dsn: cfg.DSN, Settings: cfg.Settings})
	if err != nil {
		return nil, fmt.Errorf("open: %w", c.wrap(ctx, err))
	}
	return c, nil
}

// Get implements Backend.
func (c *Client) Get(ctx context.Context, bucket string, keys [][]byte) ([][]byte, error) {
	if c.done.Err() != nil {
		return nil, fmt.Errorf("get from %q: %w", bucket, c.exited())
	}
	resp, err := c.rpc.Get(ctx, &storagev1.GetRequest{Bucket: []byte(bucket), Keys: keys}, callOpts...)
	if err != nil {
		return nil, fmt.Errorf("get from %q: %w", bucket, c.wrap(ctx, err))
	}
	if len(resp.GetValues()) != len(keys) {
		return nil, fmt.Errorf("get from %q: the plugin returned %d values for %d keys", bucket, len(resp.GetValues()), len(keys))
	}
	return valuesFromProto(resp.GetValues()), nil
}

// Scan implements Backend.
func (c *Client) Scan(ctx context.Context, req ScanRequest) (ScanResult, error) {
	if c.done.Err() != nil {
		return ScanResult{}, fmt.Errorf("scan %q: %w", req.Bucket, c.exited())
	}
	resp, err := c.rpc.Scan(ctx, scanRequestToProto(req), callOpts...)
	if err != nil {
		return ScanResult{}, fmt.Errorf("scan %q: %w", req.Bucket, c.wrap(ctx, err))
	}
	return ScanResult{Items: itemsFromProto(resp.GetItems()), More: resp.GetMore()}, nil
}

// Apply implements Backend.
func (c *Client) Apply(ctx context.Context, b Batch) (BatchResult, error) {
	if c.done.Err() != nil {
		return BatchResult{}, fmt.Errorf("apply: %w", c.exited())
	}
	resp, err := c.rpc.Apply(ctx, batchToProto(b), callOpts...)
	if err != nil {
		return BatchResult{}, fmt.Errorf("apply: %w", c.wrap(ctx, err))
	}
	res := BatchResult{Applied: resp.GetApplied()}
	if !res.Applied {
		res.FailedCondition = int(resp.GetFailedCondition())
		if res.FailedCondition >= len(b.Conditions) {
			return BatchResult{}, fmt.Errorf("apply: the plugin reports failed condition %d of %d", res.FailedCondition, len(b.Conditions))
		}
	}
	return res, nil
}

// NextID implements Backend.
func (c *Client) NextID(ctx context.Context, collection string, count, atLeast uint64) (uint64, error) {
	if c.done.Err() != nil {
		return 0, fmt.Errorf("next id of %q: %w", collection, c.exited())
	}
	resp, err := c.rpc.NextID(ctx, &storagev1.NextIDRequest{Collection: []byte(collection), Count: count, AtLeast: atLeast})
	if err != nil {
		return 0, fmt.Errorf("next id of %q: %w", collection, c.wrap(ctx, err))
	}
	return resp.GetFirst(), nil
}

// Health implements Backend: nil when the plugin answers and its store can
// serve.
func (c *Client) Health(ctx context.Context) error {
	if c.done.Err() != nil {
		return fmt.Errorf("health: %w", c.exited())
	}
	if _, err := c.rpc.Health(ctx, &storagev1.HealthRequest{}); err != nil {
		return fmt.Errorf("health: %w", c.wrap(ctx, err))
	}
	return nil
}

// Close closes the store in the plugin process, once the calls in progress
// there have returned; a plugin that has exited has nothing to close. The
// process keeps running: whoever started it ends it (go-plugin's
// Client.Kill, which also closes the store if Close was not called).
func (c *Client) Close() error {
	if c.done.Err() != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if _, err := c.rpc.Close(ctx, &storagev1.CloseRequest{}); err != nil {
		if c.done.Err() != nil {
			return nil
		}
		return fmt.Errorf("close: %w", c.wrap(ctx, err))
	}
	return nil
}

// validUTF8 refuses a config protobuf cannot carry.
func validUTF8(cfg Config) error {
	if !utf8.ValidString(cfg.DSN) {
		return fmt.Errorf("%w: the DSN is not valid UTF-8", ErrInvalid)
	}
	for k, v := range cfg.Settings {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: setting %q is not valid UTF-8", ErrInvalid, k)
		}
	}
	return nil
}
