package proxytest

import (
	"context"
	"strings"
	"testing"
)

// A tiny WebAssembly module writer, for modules that break the ABI in one
// precise way. Every value fits one LEB128 byte except where uleb is used.

type imp struct {
	module, name    string
	params, results int
}

type fn struct {
	name            string // export name ("" = not exported)
	params, results int
	body            []byte // instructions, without the final end
}

func uleb(v uint32) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func name(s string) []byte { return append(uleb(uint32(len(s))), s...) }

func section(id byte, items [][]byte) []byte {
	body := uleb(uint32(len(items)))
	for _, it := range items {
		body = append(body, it...)
	}
	return append(append([]byte{id}, uleb(uint32(len(body)))...), body...)
}

func functype(params, results int) []byte {
	t := []byte{0x60, byte(params)}
	for i := 0; i < params; i++ {
		t = append(t, 0x7f)
	}
	t = append(t, byte(results))
	for i := 0; i < results; i++ {
		t = append(t, 0x7f)
	}
	return t
}

func buildModule(imports []imp, funcs []fn) []byte { return buildModuleMem(imports, funcs, 1) }

// buildModuleMem is buildModule with an initial memory of pages.
func buildModuleMem(imports []imp, funcs []fn, pages uint32) []byte {
	var types, imps, fidx, exps, codes [][]byte
	for _, im := range imports {
		types = append(types, functype(im.params, im.results))
		imps = append(imps, append(append(name(im.module), name(im.name)...), 0x00, byte(len(types)-1)))
	}
	for i, f := range funcs {
		types = append(types, functype(f.params, f.results))
		fidx = append(fidx, []byte{byte(len(types) - 1)})
		if f.name != "" {
			exps = append(exps, append(name(f.name), 0x00, byte(len(imports)+i)))
		}
		body := append([]byte{0x00}, f.body...) // no locals
		body = append(body, 0x0b)
		codes = append(codes, append(uleb(uint32(len(body))), body...))
	}
	exps = append(exps, append(name("memory"), 0x02, 0x00))
	m := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	m = append(m, section(1, types)...)
	if len(imps) > 0 {
		m = append(m, section(2, imps)...)
	}
	m = append(m, section(3, fidx)...)
	m = append(m, section(5, [][]byte{append([]byte{0x00}, uleb(pages)...)})...)
	m = append(m, section(7, exps)...)
	m = append(m, section(10, codes)...)
	return m
}

// i32s pushes constants.
func i32s(vs ...byte) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, 0x41, v)
	}
	return b
}

func call(i byte) []byte { return []byte{0x10, i} }

const drop = 0x1a

// base is a module with what Envoy requires and nothing else. Its allocator
// answers 32 for every request (i32.const takes a signed LEB128, so one byte
// holds at most 63).
func base(extra ...fn) []fn {
	return append([]fn{
		{name: "_initialize"},
		{name: "proxy_abi_version_0_2_1"},
		{name: "proxy_on_memory_allocate", params: 1, results: 1, body: i32s(32)},
	}, extra...)
}

func without(fs []fn, n string) []fn {
	var out []fn
	for _, f := range fs {
		if f.name != n {
			out = append(out, f)
		}
	}
	return out
}

func TestCompileChecks(t *testing.T) {
	ctx := context.Background()
	abi020 := without(base(), "proxy_abi_version_0_2_1")
	abi020 = append(abi020, fn{name: "proxy_abi_version_0_2_0"})
	cases := []struct {
		name  string
		funcs []fn
		want  string // "" = accepted
	}{
		{"minimal", base(), ""},
		{"malloc instead of proxy_on_memory_allocate", append(without(base(), "proxy_on_memory_allocate"), fn{name: "malloc", params: 1, results: 1, body: i32s(64)}), ""},
		{"no ABI marker", without(base(), "proxy_abi_version_0_2_1"), "Missing or unknown Proxy-Wasm ABI version"},
		{"other ABI", abi020, "speaks only ABI 0.2.1"},
		{"no allocator", without(base(), "proxy_on_memory_allocate"), "missing malloc"},
		{"no _initialize", without(base(), "_initialize"), "neither _initialize"},
		{"command module", append(without(base(), "_initialize"), fn{name: "_start"}), "WASI command"},
		{"allocator signature", append(without(base(), "proxy_on_memory_allocate"), fn{name: "proxy_on_memory_allocate", params: 2, results: 1, body: i32s(64)}), "Bad function signature for: proxy_on_memory_allocate"},
		{"headers signature (ABI 0.1.0 shape)", base(fn{name: "proxy_on_request_headers", params: 2, results: 1, body: i32s(0)}), "Bad function signature for: proxy_on_request_headers"},
		{"on_done without result", base(fn{name: "proxy_on_done", params: 1}), "Bad function signature for: proxy_on_done"},
		{"context_create with result", base(fn{name: "proxy_on_context_create", params: 2, results: 1, body: i32s(0)}), "Bad function signature for: proxy_on_context_create"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Compile(ctx, buildModule(nil, c.funcs), Options{})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close(ctx)
				if _, err := m.NewVM(ctx, nil); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				m.Close(ctx)
				t.Fatalf("accepted, want an error with %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want %q", err, c.want)
			}
		})
	}
}

// Envoy's V8 refuses a module whose initial memory is over 1 GiB; a
// pre-initialized module's initial memory is all the memory its start-up
// used, so this is the limit that matters to it.
func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	m, err := Compile(ctx, buildModuleMem(nil, base(), MaxMemoryPages), Options{})
	if err != nil {
		t.Fatalf("%d pages: %v", MaxMemoryPages, err)
	}
	m.Close(ctx)
	if m, err := Compile(ctx, buildModuleMem(nil, base(), MaxMemoryPages+1), Options{}); err == nil {
		m.Close(ctx)
		t.Fatalf("a module with %d pages of initial memory was accepted", MaxMemoryPages+1)
	}
}

func TestLinkAndRestrictions(t *testing.T) {
	ctx := context.Background()
	log := imp{"env", "proxy_log", 3, 1}
	setProp := imp{"env", "proxy_set_property", 4, 1}
	getBuf := imp{"env", "proxy_get_buffer_bytes", 5, 1}
	cases := []struct {
		name    string
		imports []imp
		funcs   []fn
		opts    Options
		want    string
	}{
		{"unknown host function", []imp{{"env", "proxy_unknown", 0, 1}}, base(), Options{}, "proxy_unknown"},
		{"host function with another signature", []imp{{"env", "proxy_log", 2, 1}}, base(), Options{}, "proxy_log"},
		{"WASI function the host lacks", []imp{{"wasi_snapshot_preview1", "path_filestat_get", 5, 1}}, base(),
			Options{WASI: []string{"fd_write"}}, "path_filestat_get"},
		{"proxy_log during _initialize is allowed", []imp{log},
			append(without(base(), "_initialize"), fn{name: "_initialize", body: append(append(i32s(2, 0, 0), call(0)...), drop)}), Options{}, ""},
		{"proxy_set_property during _initialize traps", []imp{setProp},
			append(without(base(), "_initialize"), fn{name: "_initialize", body: append(append(i32s(0, 0, 0, 0), call(0)...), drop)}), Options{}, "restricted_callback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Compile(ctx, buildModule(c.imports, c.funcs), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			_, err = m.NewVM(ctx, nil)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}

	// The allocator may not call proxy_set_property: on_configure reads the
	// configuration, the host allocates for it, the allocator's call traps
	// and the VM fails.
	funcs := append(without(base(), "proxy_on_memory_allocate"),
		fn{name: "proxy_on_memory_allocate", params: 1, results: 1, body: append(append(i32s(0, 0, 0, 0), call(0)...), drop, 0x41, 64)},
		fn{name: "proxy_on_configure", params: 2, results: 1, body: append(append(i32s(7, 0, 10, 0, 4), call(1)...), drop, 0x41, 1)},
	)
	m, err := Compile(ctx, buildModule([]imp{setProp, getBuf}, funcs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	vm, err := m.NewVM(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vm.StartPlugin([]byte("some config")); err == nil || vm.Failed() == nil || !strings.Contains(vm.Failed().Error(), "restricted_callback") {
		t.Fatalf("StartPlugin: %v, VM: %v", err, vm.Failed())
	}
}

func TestPairs(t *testing.T) {
	pairs := [][2]string{{"a", "1"}, {"b", "22"}}
	b := AppendPairs(nil, pairs)
	// The spec's example: {{"a": "1"}, {"b": "22"}}.
	want := []byte{2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, '1', 0, 'b', 0, '2', '2', 0}
	if string(b) != string(want) {
		t.Fatalf("%v\nwant %v", b, want)
	}
	got, err := ParsePairs(b)
	if err != nil || len(got) != 2 || got[1] != pairs[1] {
		t.Fatalf("%v %v", got, err)
	}
	for _, empty := range [][]byte{nil, {0}} {
		if got, err := ParsePairs(empty); err != nil || got != nil {
			t.Fatalf("%v: %v %v", empty, got, err)
		}
	}
	for _, bad := range [][]byte{{1, 0}, want[:len(want)-1], append(append([]byte{}, want...), 0), {9, 0, 0, 0}} {
		if _, err := ParsePairs(bad); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}

// TestEnvoyBufferAndHeaderRules checks the host's versions of two Envoy
// rules a filter depends on: proxy_set_buffer_bytes on the request body is
// prepend (0,0), replace (0, >= length) or append (start >= length), and
// nothing else; request headers are reachable until on_request_headers
// returns Continue, and BAD_ARGUMENT afterwards.
func TestEnvoyBufferAndHeaderRules(t *testing.T) {
	ctx := context.Background()
	m, err := Compile(ctx, buildModule(nil, base()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	vm, err := m.NewVM(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.StartPlugin(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewStream()
	vm.mem.Write(100, []byte("XY"))
	for _, c := range []struct {
		start, size uint32
		want        uint64
		body        string
	}{
		{0, 0, stOK, "XYbody"},    // prepend
		{0, 4, stOK, "XY"},        // replace all (size >= length)
		{0, 99, stOK, "XY"},       // replace all
		{4, 0, stOK, "bodyXY"},    // append
		{1, 2, stBadArgument, ""}, // replace inside: Envoy refuses
		{0, 3, stBadArgument, ""}, // replace a prefix: refused
	} {
		body := []byte("body")
		s.inBody, s.bodyRef = true, &body
		vm.curStream = s
		got := vm.setBuffer(0, c.start, c.size, 100, 2)
		if got != c.want || (c.want == stOK && string(body) != c.body) {
			t.Errorf("set_buffer_bytes(start %d, size %d) = %d, body %q; want %d, %q", c.start, c.size, got, body, c.want, c.body)
		}
	}
	// proxy_get_buffer_bytes on an empty body: OK, and (as in
	// proxy-wasm-cpp-host) the result words are not written at all.
	var getBytes func(*VM, []uint64)
	for _, f := range envFuncs {
		if f.name == "proxy_get_buffer_bytes" {
			getBytes = f.fn
		}
	}
	for _, body := range []string{"", "body"} {
		b := []byte(body)
		s.inBody, s.bodyRef = true, &b
		vm.mem.WriteUint32Le(200, 0xdead)
		vm.mem.WriteUint32Le(204, 0xbeef)
		stack := []uint64{0, 0, 16, 200, 204}
		getBytes(vm, stack)
		p, _ := vm.mem.ReadUint32Le(200)
		n, _ := vm.mem.ReadUint32Le(204)
		if stack[0] != stOK {
			t.Errorf("get_buffer_bytes on %q = %d (%v, %v)", body, stack[0], vm.Failed(), vm.Violations())
		}
		if untouched := p == 0xdead && n == 0xbeef; untouched != (body == "") {
			t.Errorf("get_buffer_bytes on %q wrote address %#x size %#x", body, p, n)
		}
		if body != "" && n != uint32(len(body)) {
			t.Errorf("get_buffer_bytes on %q: size %d", body, n)
		}
	}
	s.inBody, s.bodyRef = false, nil
	if got := vm.setBuffer(0, 0, 0, 100, 2); got != stBadArgument {
		t.Errorf("set_buffer_bytes outside a body callback = %d", got)
	}
	s.headers, s.headersAvail = [][2]string{{":path", "/"}}, true
	if _, st := vm.headerMap(0); st != stOK {
		t.Errorf("headers while held: %d", st)
	}
	s.headersAvail = false // on_request_headers returned Continue
	if _, st := vm.headerMap(0); st != stBadArgument {
		t.Errorf("headers after Continue: %d, want BAD_ARGUMENT", st)
	}
	vm.curStream = nil
	s.headersAvail = true
	if _, st := vm.headerMap(0); st != stBadArgument {
		t.Errorf("request headers from a root context: %d", st)
	}
}
