package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/emptypb"
)

// HandshakeConfig is what a host and a plugin of one kind agree on before
// they talk: the base protocol version, and a magic cookie (an environment
// variable the host sets) that tells a plugin binary it was started by a
// host rather than by hand.
type HandshakeConfig struct {
	ProtocolVersion  uint
	MagicCookieKey   string
	MagicCookieValue string
}

// Services registers on s the gRPC services of one protocol version.
type Services func(s *grpc.Server)

// ServeConfig is what Serve serves.
type ServeConfig struct {
	Handshake HandshakeConfig
	// Versions are the protocol versions the plugin speaks; the highest one
	// the host also speaks is served.
	Versions map[int]Services
	// Log is the plugin's logger (see NewLogger).
	Log hclog.Logger
	// ServerOptions configure the gRPC server.
	ServerOptions []grpc.ServerOption
	// Test, when set, serves inside the calling process for a test harness:
	// no magic cookie, no handshake line, interrupts not ignored.
	Test *TestConfig
}

// TestConfig serves a plugin in-process (see ServeConfig.Test).
type TestConfig struct {
	// Context ends the serving: Serve then stops the server and returns.
	Context context.Context
	// Ready is called with the listener's address and the protocol version
	// served, once the plugin accepts connections.
	Ready func(addr net.Addr, version int)
}

// The host side of this protocol is HashiCorp go-plugin's client: Serve
// speaks its plugin side (core protocol 1, gRPC) without linking go-plugin,
// whose server half would bring net/rpc, encoding/gob, html/template, gRPC
// reflection and protobuf descriptors into every plugin binary, about 40%
// of its size and of what it maps at start.
const (
	coreProtocolVersion = 1
	envProtocolVersions = "PLUGIN_PROTOCOL_VERSIONS"
	envUnixSocketDir    = "PLUGIN_UNIX_SOCKET_DIR"
	envClientCert       = "PLUGIN_CLIENT_CERT"
	// healthService is the service name the host's health check asks for.
	healthService = "plugin"
)

// ErrNotStartedByHost is returned by Serve when the magic cookie is
// missing: the binary was run by hand.
var ErrNotStartedByHost = errors.New("this binary is a Signalbox plugin: the Signalbox server starts it, it is not meant to be run by hand")

// Serve serves a plugin to the host that started it and returns when the
// host shuts the plugin down (or, in test mode, when the test's context
// ends).
func Serve(cfg ServeConfig) error {
	log := cfg.Log
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if cfg.Test == nil && (cfg.Handshake.MagicCookieKey == "" || os.Getenv(cfg.Handshake.MagicCookieKey) != cfg.Handshake.MagicCookieValue) {
		return ErrNotStartedByHost
	}
	if cfg.Test == nil && os.Getenv(envClientCert) != "" {
		return errors.New("the host asked for automatic mTLS, which this plugin does not offer: plugins listen on a private Unix socket")
	}
	version, services, err := negotiate(cfg.Versions, cfg.Handshake.ProtocolVersion, os.Getenv(envProtocolVersions))
	if err != nil {
		return err
	}
	l, err := listen(os.Getenv(envUnixSocketDir))
	if err != nil {
		return fmt.Errorf("plugin listener: %w", err)
	}
	defer l.Close()

	s := grpc.NewServer(cfg.ServerOptions...)
	hs := health.NewServer()
	hs.SetServingStatus(healthService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	s.RegisterService(&controllerDesc, s)
	s.RegisterService(&stdioDesc, nil)
	s.RegisterService(&brokerDesc, nil)
	services(s)

	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	log.Debug("plugin address", "network", l.Addr().Network(), "address", l.Addr().String())

	if cfg.Test != nil {
		if cfg.Test.Ready != nil {
			cfg.Test.Ready(l.Addr(), version)
		}
		ctx := cfg.Test.Context
		if ctx == nil {
			ctx = context.Background()
		}
		select {
		case err = <-done:
		case <-ctx.Done():
			s.Stop()
			err = <-done
		}
		return serveErr(err)
	}

	// The host reads this line, then connects; the last field would be a
	// TLS certificate.
	fmt.Fprintf(os.Stdout, "%d|%d|%s|%s|grpc|\n", coreProtocolVersion, version, l.Addr().Network(), l.Addr().String())
	_ = os.Stdout.Sync()
	// An interrupt from a terminal reaches the whole process group; the
	// host decides when its plugins stop. Caught, not ignored: an ignored
	// signal stays ignored in the commands the plugin starts (a task's
	// graceful stop may be SIGINT), a caught one is reset for them.
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	go func() {
		for range interrupts {
			log.Debug("interrupt ignored: the host stops its plugins")
		}
	}()
	return serveErr(<-done)
}

func serveErr(err error) error {
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// negotiate picks the highest version both the plugin and the host speak.
// The host lists its versions in offered ("1,2"); a host that lists none
// gets the lowest version the plugin has.
func negotiate(versions map[int]Services, base uint, offered string) (int, Services, error) {
	if len(versions) == 0 {
		return 0, nil, errors.New("serve plugin: no protocol version to serve")
	}
	mine := make([]int, 0, len(versions))
	for v := range versions {
		mine = append(mine, v)
	}
	slices.Sort(mine)
	if offered == "" {
		v := mine[0]
		if _, ok := versions[int(base)]; ok {
			v = int(base)
		}
		return v, versions[v], nil
	}
	var theirs []int
	for _, f := range strings.Split(offered, ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			theirs = append(theirs, v)
		}
	}
	for _, v := range slices.Backward(mine) {
		if slices.Contains(theirs, v) {
			return v, versions[v], nil
		}
	}
	return 0, nil, fmt.Errorf("serve plugin: the host speaks protocol versions %s, this plugin %v", offered, mine)
}

// listen opens the plugin's socket in dir (the host's private directory;
// the system's temporary directory when empty). Closing the listener
// removes the socket file.
func listen(dir string) (net.Listener, error) {
	f, err := os.CreateTemp(dir, "plugin")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	_ = f.Close()
	if err := os.Remove(path); err != nil {
		return nil, err
	}
	return net.Listen("unix", path)
}

// The host's side calls three services of go-plugin's besides the plugin's
// own: GRPCController (Shutdown), GRPCStdio and GRPCBroker. Their
// messages are empty or never sent here, so they are declared by hand with
// the well-known Empty type (same wire form) rather than generated: a
// second registration of go-plugin's proto files would clash with the
// host's, which links go-plugin.
var controllerDesc = grpc.ServiceDesc{
	ServiceName: "plugin.GRPCController",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Shutdown",
		Handler: func(srv any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			if err := dec(new(emptypb.Empty)); err != nil {
				return nil, err
			}
			// Stop waits for this call's handler to return: stop after.
			go srv.(*grpc.Server).Stop()
			return new(emptypb.Empty), nil
		},
	}},
}

// stdioDesc is go-plugin's stream of the plugin's stdout and stderr. Serve
// leaves both where they are (stderr is the log the host reads), so the
// stream carries nothing; it ends with the connection.
var stdioDesc = idleService("plugin.GRPCStdio", "StreamStdio", false)

// brokerDesc is go-plugin's broker of extra connections, which no
// Signalbox protocol uses: the stream stays open and idle.
var brokerDesc = idleService("plugin.GRPCBroker", "StartStream", true)

// idleService declares a service of one stream that sends nothing and
// ends with the connection; clientStreams says whether the host streams
// too.
func idleService(service, stream string, clientStreams bool) grpc.ServiceDesc {
	return grpc.ServiceDesc{
		ServiceName: service,
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{
			StreamName:    stream,
			ServerStreams: true,
			ClientStreams: clientStreams,
			Handler:       idleStream,
		}},
	}
}

func idleStream(_ any, stream grpc.ServerStream) error {
	<-stream.Context().Done()
	return nil
}

// Exit ends a plugin process whose Serve failed: a binary run by hand
// says so on stderr, any other error is logged; both exit with status 1.
// A nil err returns.
func Exit(log hclog.Logger, err error) {
	switch {
	case err == nil:
		return
	case errors.Is(err, ErrNotStartedByHost):
		fmt.Fprintln(os.Stderr, err)
	default:
		log.Error("serve plugin", "error", err)
	}
	os.Exit(1)
}
