package worker

import (
	"net/http"
	"sync/atomic"
	"time"
)

// The Date header of the worker's 200 answers, formatted at most once a
// second: net/http reads the clock and formats the date for every answer
// that has none, about 0.3 µs of the few µs the worker itself spends on a
// callback (docs/BENCHMARKS.md "The worker end to end"). Reading the clock
// is cheap; the formatting is what is saved. The cache is renewed by the
// first answer of each second rather than by a goroutine, so a process that
// imports the package but serves nothing runs nothing.
var httpDate atomic.Pointer[dateValue]

type dateValue struct {
	unix int64    // the second the value names
	v    []string // net/http only reads it
}

// dateHeader returns the Date header value for an answer sent now. Two
// goroutines crossing a second's boundary may both format it; either value
// is right.
func dateHeader() []string {
	now := time.Now()
	if d := httpDate.Load(); d != nil && d.unix == now.Unix() {
		return d.v
	}
	d := &dateValue{unix: now.Unix(), v: []string{now.UTC().Format(http.TimeFormat)}}
	httpDate.Store(d)
	return d.v
}
