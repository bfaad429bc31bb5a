package worker

import (
	"encoding/base64"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wxhook/wxhook/worker/internal/appendlog"
)

// deadLetter keeps the raw body of every callback the worker refused after
// authentication with a whole body to keep (undecodable, wrong dialect,
// engine failure, account not allowed, refused for good by the sink), one
// JSON line each in <data-dir>/deadletter.ndjson:
//
//	{"time":"2026-01-02T15:04:05.123Z","route":"/hook/eyun","remote":"10.0.0.7:51234",
//	 "status":400,"error":{"code":"not_json",…},"body_base64":"…"}
//
// The route has its secret segment replaced by "_" so the file can be
// shared. "wxhook replay" (cmd/wxhook/replay.go) sends the bodies to a
// worker again once the cause is fixed.
//
// The file is append-only and fsynced once a second; it stops growing at
// maxBytes (counted in wxhook_dead_letter_dropped_total) so a flood of
// garbage cannot fill the disk.
type deadLetter struct {
	log      *appendlog.File
	maxBytes int64
	pool     sync.Pool
}

func openDeadLetter(path string, maxBytes int64) (*deadLetter, error) {
	l, err := appendlog.Open(path, appendlog.SyncInterval, time.Second)
	if err != nil {
		return nil, err
	}
	return &deadLetter{log: l, maxBytes: maxBytes}, nil
}

// add writes one line. errJSON is the canonical error JSON {"error":{…}}.
// It reports false when the line was not kept.
func (d *deadLetter) add(now time.Time, route, remote string, status int, errJSON, body []byte) bool {
	if d.log.Size() >= d.maxBytes {
		return false
	}
	bp, _ := d.pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = now.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","route":`...)
	b = appendJSONString(b, route)
	b = append(b, `,"remote":`...)
	b = appendJSONString(b, remote)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ',')
	// Splice the error object in: {"error":{…}} minus its outer braces.
	if len(errJSON) >= 2 {
		b = append(b, errJSON[1:len(errJSON)-1]...)
	} else {
		b = append(b, `"error":null`...)
	}
	b = append(b, `,"body_base64":"`...)
	b = base64.StdEncoding.AppendEncode(b, body)
	b = append(b, "\"}\n"...)
	_, err := d.log.Append(b)
	if cap(b) <= 1<<20 { // do not pin huge buffers in the pool
		*bp = b
		d.pool.Put(bp)
	}
	return err == nil
}

func (d *deadLetter) close() error { return d.log.Close() }

// appendJSONString appends s as a JSON string, replacing invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
