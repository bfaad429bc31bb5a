// startup.mjs measures what starting the module costs in Node's V8 (a
// script, not a test; figures in docs/BENCHMARKS.md "Start-up"):
//
//   node wasm/js/startup.mjs [MODULE.wasm] [RUNS]
//
// MODULE defaults to host/wxhook.wasm, RUNS to 5. For each V8 configuration
// it starts RUNS fresh Node processes and prints the medians of:
//
//   compile   new WebAssembly.Module: with lazy compilation, validation only
//   init      _initialize on minimalWASI (as in workerd), CPU of the whole
//             process: V8 compiles each function the first time it runs,
//             and its dynamic tiering recompiles hot ones with TurboFan on
//             background threads, so this is more than the code's own work
//   main      the same, main thread only (/proc, 10 ms ticks)
//   after     CPU the process spent in the second after _initialize
//             returned (background TurboFan jobs the start-up queued)
//   decode    the first decode (eyun text) on that instance
//
// The configurations: V8's default (Liftoff, lazy compilation, dynamic
// tier-up; workerd's own figures come from worker/edge/bench.mjs
// --startup), --liftoff-only (no TurboFan), --no-liftoff
// (TurboFan for every function, on first call). Then the module's size raw,
// zlib level 9 (a few KB off gzip -9, which build.sh prints) and brotli
// (quality 11).
//
// CPU, not wall time: on a shared machine wall time mostly measures the
// neighbours.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { fileURLToPath } from "node:url";
import { minimalWASI, load } from "./wxhook.mjs";

const root = new URL("../../", import.meta.url);

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(process.argv[3])));
} else {
  const file = process.argv[2] ?? fileURLToPath(new URL("host/wxhook.wasm", root));
  const runs = Number(process.argv[3] ?? 5);
  const bytes = readFileSync(file);
  console.log(`${file}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} zlib -9, ` +
    `${brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length} brotli; ` +
    `Node ${process.version} (V8 ${process.versions.v8}), ${runs} runs, medians, ms of CPU`);
  for (const [name, flags] of [["default", []], ["--liftoff-only", ["--liftoff-only"]], ["--no-liftoff", ["--no-liftoff"]]]) {
    const rs = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--child", file], { encoding: "utf8" });
      rs.push(JSON.parse(out));
    }
    const med = (k) => {
      const v = rs.map((r) => r[k]).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    console.log(`${name.padEnd(22)} compile ${f(med("compile"))}  init ${f(med("init"))}  main ${f(med("main"))}  after ${f(med("after"))}  decode ${f(med("decode"))}`);
  }
}

function f(ms) {
  return ms.toFixed(1).padStart(7);
}

async function child(file) {
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const mainThread = () => {
    const st = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const v = st.slice(st.lastIndexOf(")") + 2).split(" ");
    return (Number(v[11]) + Number(v[12])) * 10; // utime + stime, 10 ms ticks
  };
  const bytes = readFileSync(file);
  const body = readFileSync(new URL("testdata/callbacks/eyun/seed_text_private.json", root));
  let c0 = cpu();
  const mod = new WebAssembly.Module(bytes);
  const compile = cpu() - c0;
  const shim = minimalWASI();
  let init, main;
  const wx = await load(mod, {
    imports: shim.imports,
    start: (instance) => {
      const m0 = mainThread();
      const c1 = cpu();
      shim.start(instance);
      init = cpu() - c1;
      main = mainThread() - m0;
    },
  });
  c0 = cpu();
  await new Promise((r) => setTimeout(r, 1000));
  const after = cpu() - c0;
  c0 = cpu();
  const r = wx.decode(body, "eyun");
  const decode = cpu() - c0;
  if (!r.ok) throw new Error("decode failed");
  return { compile, init, main, after, decode };
}
