package pack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Main is the body of the pack's command, policy/main.go: it runs Serve
// with stdout and returns the process's exit code, 0 when Serve returns nil,
// otherwise 1 after writing the error to stderr. The package's tests run
// their own test binary as the pack process through Main (serve_test.go,
// TestMain), so they exercise what the command runs.
func Main(stdout, stderr io.Writer) int {
	if err := Serve(stdout); err != nil {
		fmt.Fprintf(stderr, "fintech-resilience policy pack: %v\n", err)
		return 1
	}
	return 0
}

// Serve runs the pack the way the Pulumi engine expects: it listens on a
// free local port, writes the port to stdout and serves until stopped.
//
// At sdk v3.263.0 and still at v3.276.0 (ADR 0006) the policyx analyzer answers GetPluginInfo and
// GetAnalyzerInfo from a pack it only builds in ConfigureStack, so a client
// that asks first (`pulumi policy analyze`, `pulumi policy publish`) makes
// it dereference nil and crash. Serve therefore runs the policyx analyzer
// in-process behind a front server that answers those two calls from the
// same pack itself and forwards every other call unchanged, so the order of
// calls does not matter.
func Serve(stdout io.Writer) error {
	p, err := New()
	if err != nil {
		return err
	}
	innerPort, innerErr, err := startInner(func(*pulumi.Context) (policyx.PolicyPack, error) { return New() })
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(innerPort), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connecting to the policy analyzer: %w", err)
	}
	defer conn.Close()
	front := &frontServer{inner: pulumirpc.NewAnalyzerClient(conn), pack: p}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(s, front)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serving the policy pack: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%d\n", handle.Port); err != nil {
		return fmt.Errorf("writing the port: %w", err)
	}
	select {
	case err := <-handle.Done:
		return err
	case err := <-innerErr:
		return fmt.Errorf("policy analyzer stopped: %w", err)
	}
}

// startInner runs policyx.Main in this process and learns the port it
// prints. policyx.Main writes the port with fmt.Printf, so os.Stdout points
// at a pipe until that line is read; nothing else prints meanwhile.
func startInner(factory func(*pulumi.Context) (policyx.PolicyPack, error)) (int, <-chan error, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, nil, fmt.Errorf("pipe: %w", err)
	}
	orig := os.Stdout
	os.Stdout = w
	errc := make(chan error, 1)
	go func() { errc <- policyx.Main(factory) }()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- line
	}()
	restore := func() {
		os.Stdout = orig
		_ = w.Close()
	}
	select {
	case line := <-lines:
		restore()
		port, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return 0, nil, fmt.Errorf("policy analyzer printed %q, not a port", line)
		}
		return port, errc, nil
	case err := <-errc:
		restore()
		if err == nil {
			err = errors.New("exited")
		}
		return 0, nil, fmt.Errorf("policy analyzer failed to start: %w", err)
	case <-time.After(30 * time.Second):
		restore()
		return 0, nil, errors.New("policy analyzer did not report its port within 30s")
	}
}

type frontServer struct {
	pulumirpc.UnimplementedAnalyzerServer
	inner pulumirpc.AnalyzerClient
	pack  policyx.PolicyPack
}

func (s *frontServer) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pack.Version().String()}, nil
}

func (s *frontServer) GetAnalyzerInfo(context.Context, *pbempty.Empty) (*pulumirpc.AnalyzerInfo, error) {
	info := &pulumirpc.AnalyzerInfo{
		Name:           s.pack.Name(),
		Version:        s.pack.Version().String(),
		SupportsConfig: true,
	}
	for _, p := range s.pack.Policies() {
		info.Policies = append(info.Policies, &pulumirpc.PolicyInfo{
			Name:             p.Name(),
			Description:      p.Description(),
			EnforcementLevel: pulumirpc.EnforcementLevel(p.EnforcementLevel()),
		})
	}
	return info, nil
}

func (s *frontServer) Handshake(ctx context.Context, req *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return s.inner.Handshake(ctx, req)
}

func (s *frontServer) ConfigureStack(ctx context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	return s.inner.ConfigureStack(ctx, req)
}

func (s *frontServer) Configure(ctx context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*pbempty.Empty, error) {
	return s.inner.Configure(ctx, req)
}

func (s *frontServer) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	return s.inner.Analyze(ctx, req)
}

func (s *frontServer) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	return s.inner.AnalyzeStack(ctx, req)
}

func (s *frontServer) Remediate(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	return s.inner.Remediate(ctx, req)
}

func (s *frontServer) Cancel(ctx context.Context, req *pbempty.Empty) (*pbempty.Empty, error) {
	return s.inner.Cancel(ctx, req)
}
