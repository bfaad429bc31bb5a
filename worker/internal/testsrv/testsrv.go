// Package testsrv starts the real servers the worker's tests run against:
// a redis-server process and an embedded NATS server with JetStream, each on
// a free 127.0.0.1 port and stopped when the test ends. Only tests import it.
package testsrv

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Redis starts redis-server (Debian package "redis-server") without
// persistence and returns its redis:// URL. The test is skipped, saying so,
// if the binary is absent; CI installs it.
func Redis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed (apt-get install redis-server): skipping the Redis test")
	}
	port := FreePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", t.TempDir())
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not start")
	}
	return "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
}

// NATS starts an embedded NATS server with JetStream storing in a temp dir
// and returns it (its ClientURL is nats://127.0.0.1:port).
func NATS(t testing.TB) *server.Server {
	t.Helper()
	return NATSAt(t, FreePort(t), filepath.Join(t.TempDir(), "js"))
}

// NATSAt starts the embedded server on port with JetStream in dir (restart
// tests reuse both).
func NATSAt(t testing.TB, port int, dir string) *server.Server {
	t.Helper()
	return NATSWith(t, port, dir, nil)
}

// NATSWith is NATSAt with the server's options adjusted by set first (a
// small MaxPayload, say), if set is not nil.
func NATSWith(t testing.TB, port int, dir string, set func(*server.Options)) *server.Server {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	opts := &server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	}
	if set != nil {
		set(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
