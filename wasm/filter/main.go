// Command filter is wxhook's Envoy HTTP filter: a proxy-wasm (ABI 0.2.1)
// module, built by ./build.sh into bin/wxhook-filter.wasm with the standard
// Go toolchain (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared).
//
// On the POST requests its configuration selects, it buffers the body to the
// end of the stream and decodes it with package decoder — the same decoder,
// byte for byte, as every other wxhook engine. In "normalize" mode it
// replaces the body with the canonical event JSON; in "annotate" mode it
// keeps the body. Both publish vendor, kind, chat and dedup key as
// properties (Envoy filter state "wasm.wxhook.*") and, when the headers are
// held (hold_headers, Envoy >= 1.35), as x-wxhook-* request headers.
// Undecodable bodies get a 400 local reply carrying the canonical error JSON,
// or are passed on marked; bodies over max_body get 413.
//
// README.md in this directory describes the configuration, what each mode
// needs from Envoy, and how to deploy it on Envoy and Istio.
package main

// main is empty: the module is a reactor. The host calls _initialize, which
// runs the package initializers (registering the plugin), and then only the
// proxy_on_* exports of package proxywasm.
func main() {}
