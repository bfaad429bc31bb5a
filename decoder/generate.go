package decoder

// The canonical model (event.go, errors.go) and the vendors' wire structs
// (wire.go) get their JSON code from easyjson. The first pass writes stubs so
// the package compiles while easyjson's bootstrap inspects it; the second
// writes the real code, compiling the package with the easyjson_bootstrap tag:
// the hand-written writer of eventjson.go calls generated functions that the
// stubs do not have, so eventjson_bootstrap.go stands in for it. CI
// regenerates and fails on any diff.
//
// Only the types marked //easyjson:json in event.go and errors.go (Event and
// the unexported error envelope) get MarshalEasyJSON/UnmarshalEasyJSON
// methods; the structs inside an Event are written by generated functions
// that carry no methods, so they stay out of the package's API. wire.go holds
// only unexported types and is generated with -all.
//
//go:generate go tool easyjson -stubs -no_std_marshalers event.go errors.go
//go:generate go tool easyjson -stubs -all -no_std_marshalers wire.go
//go:generate go tool easyjson -gen_build_flags=-tags=easyjson_bootstrap -no_std_marshalers event.go errors.go
//go:generate go tool easyjson -gen_build_flags=-tags=easyjson_bootstrap -all -no_std_marshalers wire.go
