//go:build easyjson_bootstrap

package decoder

import "github.com/mailru/easyjson/jwriter"

// While easyjson generates the code (go generate; generate.go passes the
// easyjson_bootstrap tag), the generated functions writeEvent calls do not
// exist yet, so the package is compiled with this stand-in instead. It is
// never part of a build.
func writeEvent(w *jwriter.Writer, ev *Event) eventPos {
	ev.MarshalEasyJSON(w)
	return eventPos{}
}
