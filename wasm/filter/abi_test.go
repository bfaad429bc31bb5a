package main

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wxhook/wxhook/wasm/proxywasm/proxytest"
)

// cppHostWASI is proxy-wasm-cpp-host's FOR_ALL_WASI_FUNCTIONS since commit
// 94091cd (2026-04-06, "add all wasi hostcalls used by Go SDK", PR #533).
var cppHostWASI = strings.Fields(`fd_write fd_read fd_seek fd_close fd_fdstat_get fd_fdstat_set_flags
	fd_fdstat_set_rights environ_get environ_sizes_get args_get args_sizes_get clock_time_get clock_res_get
	fd_advise fd_allocate fd_datasync fd_filestat_set_size fd_filestat_set_times fd_pread fd_pwrite fd_readdir
	fd_renumber fd_sync fd_tell path_create_directory path_filestat_set_times path_link path_readlink
	path_remove_directory path_rename path_symlink path_unlink_file sock_accept sock_recv sock_send
	sock_shutdown random_get sched_yield poll_oneoff proc_exit path_open fd_prestat_get fd_prestat_dir_name
	path_filestat_get fd_filestat_get`)

// cppHostWASIBefore533 is the same list from PR #427 (2024-12-19) until
// PR #533: what Envoy releases built on it provide.
var cppHostWASIBefore533 = strings.Fields(`fd_write fd_read fd_seek fd_close fd_fdstat_get fd_fdstat_set_flags
	environ_get environ_sizes_get args_get args_sizes_get clock_time_get random_get sched_yield poll_oneoff
	proc_exit path_open fd_prestat_get fd_prestat_dir_name`)

// cppHostEnv is FOR_ALL_HOST_FUNCTIONS plus the ABI 0.2.1 additions
// (continue_stream, close_stream, get_log_level).
var cppHostEnv = strings.Fields(`log get_status set_property get_property send_local_response get_shared_data
	set_shared_data register_shared_queue resolve_shared_queue dequeue_shared_queue enqueue_shared_queue
	get_header_map_value add_header_map_value replace_header_map_value remove_header_map_value
	get_header_map_pairs set_header_map_pairs get_header_map_size get_buffer_status get_buffer_bytes
	set_buffer_bytes http_call grpc_call grpc_stream grpc_close grpc_cancel grpc_send
	set_tick_period_milliseconds get_current_time_nanoseconds define_metric increment_metric record_metric
	get_metric set_effective_context done call_foreign_function continue_stream close_stream get_log_level`)

// TestImportsAndExports pins the module's interface: every import is one
// Envoy's host provides (README.md lists them), and the exports are the
// ones the filter means to have.
func TestImportsAndExports(t *testing.T) {
	ctx := context.Background()
	m, err := proxytest.Compile(ctx, moduleBytes, proxytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	provided := map[string]bool{}
	for _, n := range cppHostWASI {
		provided["wasi_snapshot_preview1."+n] = true
	}
	for _, n := range cppHostEnv {
		provided["env.proxy_"+n] = true
	}
	var imports []string
	for _, im := range m.Imports() {
		if !provided[im] {
			t.Errorf("import %s is not provided by proxy-wasm-cpp-host", im)
		}
		if !contains(imports, im) {
			imports = append(imports, im)
		}
	}
	sort.Strings(imports)
	want := strings.Fields(`env.proxy_call_foreign_function env.proxy_get_buffer_bytes env.proxy_get_header_map_value
		env.proxy_log env.proxy_remove_header_map_value env.proxy_replace_header_map_value
		env.proxy_send_local_response env.proxy_set_buffer_bytes env.proxy_set_property
		wasi_snapshot_preview1.args_get wasi_snapshot_preview1.args_sizes_get wasi_snapshot_preview1.clock_time_get
		wasi_snapshot_preview1.environ_get wasi_snapshot_preview1.environ_sizes_get wasi_snapshot_preview1.fd_close
		wasi_snapshot_preview1.fd_fdstat_get wasi_snapshot_preview1.fd_fdstat_set_flags
		wasi_snapshot_preview1.fd_prestat_dir_name wasi_snapshot_preview1.fd_prestat_get wasi_snapshot_preview1.fd_read
		wasi_snapshot_preview1.fd_write wasi_snapshot_preview1.path_filestat_get wasi_snapshot_preview1.path_open
		wasi_snapshot_preview1.poll_oneoff wasi_snapshot_preview1.proc_exit wasi_snapshot_preview1.random_get
		wasi_snapshot_preview1.sched_yield`)
	if !reflect.DeepEqual(imports, want) {
		t.Errorf("imports changed (update README.md's list):\n%s", strings.Join(imports, "\n"))
	}
}

// TestOlderEnvoyRefusesModule documents the oldest host the filter loads
// on: without path_filestat_get (proxy-wasm-cpp-host before PR #533), the
// Go runtime's import fails the module at load, as Envoy logs "Failed to
// load Wasm module due to a missing import".
func TestOlderEnvoyRefusesModule(t *testing.T) {
	ctx := context.Background()
	m, err := proxytest.Compile(ctx, moduleBytes, proxytest.Options{WASI: cppHostWASIBefore533})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if _, err := m.NewVM(ctx, nil); err == nil || !strings.Contains(err.Error(), "path_filestat_get") {
		t.Fatalf("NewVM: %v, want a missing path_filestat_get", err)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
