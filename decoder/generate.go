package decoder

// The canonical model (event.go, errors.go) and the vendors' wire structs
// (wire.go) get their JSON code from easyjson. The first pass writes stubs so
// the package compiles while easyjson's bootstrap inspects it; the second
// writes the real code. CI regenerates and fails on any diff.
//
//go:generate go tool easyjson -stubs -all -no_std_marshalers event.go errors.go wire.go
//go:generate go tool easyjson -all -no_std_marshalers event.go errors.go wire.go
