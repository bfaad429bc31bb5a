// startup.mjs measures the filter's _initialize in Node's V8 (a script, not
// a test; figures in docs/BENCHMARKS.md "The Envoy filter"):
//
//   node wasm/filter/startup.mjs [MODULE.wasm] [RUNS]
//
// MODULE defaults to bin/wxhook-filter.wasm (./build.sh), RUNS to 5. For
// V8's defaults and for --no-liftoff — Envoy's V8 configuration:
// proxy-wasm-cpp-host turns Liftoff off, so every function is compiled by
// TurboFan on its first call — it starts RUNS fresh Node processes and
// prints the medians of the process CPU (ms) of new WebAssembly.Module,
// of _initialize, of the second after it (background compilation the
// start-up queued), and of _initialize in a second instance ("again": what
// each further VM pays once the first compiled the code — Envoy's clones
// share the compiled module). Envoy's functions (module "env") are stubs
// that throw: the start-up must not call them. No request is run.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WASI } from "node:wasi";

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(process.argv[3])));
} else {
  const file = process.argv[2] ?? fileURLToPath(new URL("../../bin/wxhook-filter.wasm", import.meta.url));
  const runs = Number(process.argv[3] ?? 5);
  console.log(`${file}: Node ${process.version} (V8 ${process.versions.v8}), ${runs} runs, medians, ms of CPU`);
  for (const [name, flags] of [["default", []], ["--no-liftoff", ["--no-liftoff"]]]) {
    const rs = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, ["--no-warnings", ...flags, fileURLToPath(import.meta.url), "--child", file], { encoding: "utf8" });
      rs.push(JSON.parse(out));
    }
    const med = (k) => rs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)].toFixed(1).padStart(7);
    console.log(`${name.padEnd(14)} compile ${med("compile")}  init ${med("init")}  after ${med("after")}  again ${med("again")}`);
  }
}

async function child(file) {
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const bytes = readFileSync(file);
  let c0 = cpu();
  const mod = new WebAssembly.Module(bytes);
  const compile = cpu() - c0;
  const env = {};
  for (const im of WebAssembly.Module.imports(mod)) {
    if (im.module === "env") {
      env[im.name] = () => {
        throw new Error(`_initialize called env.${im.name}`);
      };
    }
  }
  // A fresh instance and its _initialize: the process CPU it took.
  const start = () => {
    const wasi = new WASI({ version: "preview1", returnOnExit: true });
    const inst = new WebAssembly.Instance(mod, { env, wasi_snapshot_preview1: wasi.wasiImport });
    const c0 = cpu();
    wasi.initialize(inst);
    return cpu() - c0;
  };
  const init = start();
  c0 = cpu();
  await new Promise((r) => setTimeout(r, 1000));
  const after = cpu() - c0;
  return { compile, init, after, again: start() };
}
