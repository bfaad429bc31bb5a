package worker

import (
	"net/http"
	"sync/atomic"
	"time"
)

// The Date header of the worker's 200 answers, formatted at most once a
// second: net/http reads the clock and formats the date for every answer
// that has none, about 0.3 µs of the few µs the worker itself spends on a
// callback (docs/BENCHMARKS.md "The worker end to end"). The cache is
// renewed by the first answer past its second rather than by a goroutine,
// so a process that imports the package but serves nothing runs nothing.
//
// Whether the cached value still holds is told by the monotonic clock
// (monoNow), which a new event's answer has read already to time the sink:
// time.Now reads the wall clock too, a second clock read (about 40 ns on a
// VM). The value is for the wall-clock second that was current when it was
// formatted, and holds until the monotonic instant at which that second
// ends; a wall clock stepped meanwhile is followed at the next second.
var httpDate atomic.Pointer[dateValue]

type dateValue struct {
	until time.Duration // monoNow at the end of the wall-clock second the value names
	v     []string      // net/http only reads it
}

// monoBase is what monoNow measures from.
var monoBase = time.Now()

// monoNow reads the monotonic clock alone (time.Since of a time that has a
// monotonic reading): for durations, and for the Date cache's expiry.
func monoNow() time.Duration { return time.Since(monoBase) }

// dateHeader returns the Date header value for an answer sent at mono (a
// monoNow reading). Two goroutines crossing a second's boundary may both
// format it; either value is right.
func dateHeader(mono time.Duration) []string {
	if d := httpDate.Load(); d != nil && mono < d.until {
		return d.v
	}
	now := time.Now()
	d := &dateValue{
		until: now.Sub(monoBase) + time.Second - time.Duration(now.Nanosecond()),
		v:     []string{now.UTC().Format(http.TimeFormat)},
	}
	httpDate.Store(d)
	return d.v
}
