package worker

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The Date header of the worker's 200 answers, formatted once a second by a
// background goroutine: net/http reads the clock and formats the date for
// every answer that has none, about 0.3 µs of the few µs the worker itself
// spends on a callback (docs/BENCHMARKS.md "The worker end to end"). The
// value is the current second, as net/http's is; it can lag by the timer's
// slack (milliseconds), which RFC 9110 allows ("the best available
// approximation").
var httpDate struct {
	start sync.Once
	v     atomic.Pointer[[]string]
}

// dateHeader returns the Date header value for an answer sent now. net/http
// only reads it.
func dateHeader() []string {
	httpDate.start.Do(startDateClock)
	return *httpDate.v.Load()
}

// startDateClock sets the date and starts the goroutine that renews it at
// every second's start, for the life of the process (one for all Workers).
func startDateClock() {
	setDate(time.Now())
	go func() {
		for {
			now := time.Now()
			time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
			setDate(time.Now())
		}
	}()
}

func setDate(t time.Time) {
	v := []string{t.UTC().Format(http.TimeFormat)}
	httpDate.v.Store(&v)
}
