// Command wxhook decodes WeChat / WeCom bot-vendor webhook callbacks into
// wxhook's canonical events, serves them as a webhook worker, and replays the
// worker's dead letters.
//
//	wxhook decode [--engine wasm|native] [--dialect auto|wecom|eyun|dll] [FILE…|-]
//	wxhook serve  [flags]
//	wxhook replay --to URL [flags] [FILE…|-]
//	wxhook version
package main

import (
	"fmt"
	"os"
)

const usage = `usage: wxhook <command> [arguments]

commands:
  decode   decode callback documents (files or NDJSON on stdin) to canonical JSON lines
  serve    run the webhook worker
  replay   send the worker's dead letters (deadletter.ndjson) to a running worker again
  version  print the version

Run "wxhook <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "decode":
		code = runDecode(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "serve":
		code = runServe(os.Args[2:])
	case "replay":
		code = replayMain(os.Args[2:])
	case "version":
		fmt.Println("wxhook", version)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "wxhook: unknown command %q\n\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}

// version is set by build.sh with -ldflags "-X main.version=…".
var version = "dev"
