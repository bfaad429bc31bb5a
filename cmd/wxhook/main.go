// Command wxhook decodes WeChat / WeCom bot-vendor webhook callbacks into
// wxhook's canonical events, serves them as a webhook worker, and replays the
// worker's dead letters.
//
//	wxhook decode [--engine wasm|native] [--dialect auto|wecom|eyun|dll|gewe] [FILE…|-]
//	wxhook serve  [flags]
//	wxhook replay --to URL [flags] [FILE…|-]
//	wxhook version
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: wxhook <command> [arguments]

commands:
  decode   decode callback documents (JSON streams in files or on stdin) to canonical JSON lines
  serve    run the webhook worker
  replay   send the worker's dead letters (deadletter.ndjson) to a running worker again
  version  print the version

Run "wxhook help <command>" (or "wxhook <command> -h") for a command's flags.
`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// dispatch runs the command named by args[0] and returns the exit status.
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "decode":
		return runDecode(args[1:], stdin, stdout, stderr)
	case "serve":
		return runServe(args[1:], stderr)
	case "replay":
		return replayMain(args[1:], stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "wxhook", version)
		return 0
	case "help", "-h", "--help":
		// "wxhook help serve" is "wxhook serve -h".
		if len(args) > 1 && args[0] == "help" {
			return dispatch([]string{args[1], "-h"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "wxhook: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// version is set by build.sh with -ldflags "-X main.version=…".
var version = "dev"

// newFlagSet returns a flag set that prints nothing on its own: a command
// prints its help for -h (showHelp) and one line for a bad flag (flagError),
// not the whole help after every typo.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// showHelp prints a command's usage text and its flags.
func showHelp(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// flagError prints a usage error: one line, and where the help is.
func flagError(w io.Writer, cmd string, err error) {
	fmt.Fprintf(w, "wxhook %s: %v\nsee \"wxhook %s --help\"\n", cmd, err, cmd)
}
