//go:build unix

package host

import "syscall"

// processCPU is the CPU time (user + system) the process has used, in ns;
// benchmarks report it per op next to wall time, which on a shared machine
// mostly measures the neighbours.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
