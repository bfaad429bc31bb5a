// Package decoder turns the webhook callbacks of WeChat / WeCom bot-platform
// vendors into one canonical Event.
//
// Four vendor dialects are understood: "wecom" (a WeCom protocol vendor whose
// non-text content is JSON inside a JSON string), "eyun" (Eyun's raw and
// optimized callbacks carrying WeChat's own msgType and XML content), "dll" (a
// personal-WeChat DLL vendor with numeric event codes) and "gewe" (GeWe /
// gewechat callbacks, WeChat's XML content as eyun's). The dialect of a
// callback is detected from its top-level keys while it is being parsed, or
// chosen explicitly.
//
// Two words, two ideas: a Dialect is a vendor's wire format (the type, the
// --dialect flag, the /hook/{vendor} route segment), and a field named Vendor
// (Event.Vendor, Meta.Vendor, Error.Vendor; "vendor" in the canonical JSON)
// says in which dialect a given callback was written.
//
// A Decoder is reusable and is not safe for concurrent use. In steady state it
// decodes text messages of every dialect without allocating: the strings of the
// Event it fills alias the input and the Decoder's own scratch memory, so they
// are valid only until the next call on the same Decoder. Event.Clone makes an
// independent copy.
//
// Canonical JSON (Event.AppendJSON, Decoder.AppendDecode) is the wire format
// shared by every wxhook engine: the native decoder, the WebAssembly module run
// by wazero, Node.js and workerd. easyjson-generated code defines it and writes
// it for Event.AppendJSON; Decoder.AppendDecode writes the same bytes faster
// with hand-written code over easyjson's writer (RATIONALE.md), held to the
// generated code by tests and fuzzing.
package decoder
