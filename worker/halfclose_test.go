package worker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/wxhook/wxhook/decoder"
	"github.com/wxhook/wxhook/host"
)

// postHalfClosed sends one request on a new connection, half-closes it
// (TCP FIN after the body, as some HTTP clients do once they have sent
// everything) and reads the answer.
func postHalfClosed(t *testing.T, addr, path string, body []byte) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nX-Wxhook-Secret: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", path, addr, secret, len(body))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer after a half-close: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Clients that half-close after sending get the same answers from every
// engine, and every event is delivered: net/http cancels the request's
// context when it reads the FIN, which the wasm engine (with or without the
// dispatcher serve puts in front of it) took for a client gone, answering
// 503 to about half of them while the native engine answered 200.
func TestHalfClosedClientsSameOnEveryEngine(t *testing.T) {
	cache := wazero.NewCompilationCache()
	defer cache.Close(context.Background())
	wasm := func(t *testing.T) decoder.Engine {
		e, err := host.New(context.Background(), host.WithCompilationCache(cache))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	const n = 50
	bodies := make([][]byte, n)
	tmpl := string(fixture(t, "dll", "text_private"))
	for i := range bodies {
		// n distinct events: another serverId each.
		bodies[i] = []byte(strings.Replace(tmpl, `"serverId": "4716294419932188235"`, fmt.Sprintf(`"serverId": "%d"`, 4716294419932188235+i), 1))
	}
	for _, c := range []struct {
		name   string
		engine func(t *testing.T) decoder.Engine
	}{
		{"native", func(*testing.T) decoder.Engine { return decoder.NewEngine() }},
		{"wasm", wasm},
		{"wasm+dispatcher", func(t *testing.T) decoder.Engine { return host.NewDispatcher(wasm(t), 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng := c.engine(t)
			e := start(t, nil, func(cfg *Config) { cfg.Engine = eng })
			addr := strings.TrimPrefix(e.url, "http://")
			statuses := map[int]int{}
			for _, body := range bodies {
				statuses[postHalfClosed(t, addr, "/hook/dll", body)]++
			}
			if statuses[200] != n {
				t.Errorf("statuses %v, want %d × 200", statuses, n)
			}
			if got := len(e.out.all()); got != n {
				t.Errorf("%d events delivered, want %d", got, n)
			}
		})
	}
}
