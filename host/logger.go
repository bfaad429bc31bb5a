package host

import (
	"bytes"
	"context"
	"log/slog"
)

// maxLine bounds a buffered guest output line; longer ones are logged in
// pieces so a guest cannot make the host buffer without limit.
const maxLine = 4 << 10

// lineLogger turns the guest's stdout/stderr into one slog record per line.
// Each instance has its own, used only by the goroutine running its call.
type lineLogger struct {
	log *slog.Logger
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			if len(l.buf) >= maxLine {
				l.flush()
			}
			break
		}
		l.buf = append(l.buf, p[:i]...)
		l.flush()
		p = p[i+1:]
	}
	return n, nil
}

// flush logs what is buffered, if anything.
func (l *lineLogger) flush() {
	if len(l.buf) == 0 {
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "wxhook wasm guest output", slog.String("line", string(l.buf)))
	l.buf = l.buf[:0]
}
