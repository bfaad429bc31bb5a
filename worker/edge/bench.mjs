// bench.mjs measures the edge Worker's figures (a script, not a test):
//
//   cd worker/edge && npm ci && node scripts/sync-module.mjs && node bench.mjs [N]
//
// 1. _initialize of the module on minimalWASI in Node (V8, as workerd): wall
//    and CPU; and, for a module built without internal/preinit, where it
//    goes (GODEBUG=inittrace=1, through node:wasi). The committed module is
//    pre-initialized: its _initialize does nothing (wasm/js/startup.mjs
//    compares start-up costs in detail).
// 2. workerd cold start through Miniflare: CPU of the workerd process until
//    it is ready, for this Worker and for a bare Worker (the difference is the
//    module's compile and global-scope _initialize), then wall and CPU of the
//    first request.
// 3. p50/p99 wall per request over N text callbacks (eyun text, each a new
//    event: dedup in the Durable Object, HTTP forward to a local server).
// 4. workerd CPU per request for the fixture set (every testdata/callbacks
//    file, decoded and delivered, dedup off) against a 401 (same HTTP path, no
//    decode): the difference is the decode's CPU in workerd.
//
// `node bench.mjs --startup K` runs only 2 (start-up and first request), K
// times, and prints each round and the medians.
//
// 5. Bundle size: what `wrangler deploy` uploads (the esbuild bundle of
//    src/index.js and the .wasm module), raw and gzip -9, against the 3 MiB
//    (free) / 10 MiB (paid) compressed limit.
//
// workerd's clocks stand still while code runs (Spectre mitigation), so CPU is
// read from /proc for the workerd process, in clock ticks (10 ms): the loops
// are long enough for that resolution.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { WASI } from "node:wasi";
import { Miniflare } from "miniflare";
import { load, minimalWASI } from "./gen/wxhook.mjs";
import { startWorker, startDownstream } from "./test/harness.mjs";

const N = Number(process.argv[2] ?? 1000);
const testdata = new URL("../../testdata/", import.meta.url);
const wasm = readFileSync(new URL("gen/wxhook.wasm", import.meta.url));
const ms = (x) => x.toFixed(1) + " ms";
const TICK = 10; // ms per clock tick (getconf CLK_TCK = 100)

function workerdPids() {
  const pids = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (comm === "workerd" && Number(f[1]) === process.pid) pids.push(d);
    } catch {}
  }
  return pids;
}
function cpuOf(pids) {
  let t = 0;
  for (const p of pids) {
    const st = readFileSync(`/proc/${p}/stat`, "utf8");
    const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
    t += Number(f[11]) + Number(f[12]); // utime + stime
  }
  return t * TICK;
}
const pct = (a, p) => a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];

if (process.argv[2] === "--startup") {
  const K = Number(process.argv[3] ?? 5);
  const rounds = [];
  const body = readFileSync(new URL("callbacks/eyun/seed_text_private.json", testdata), "utf8");
  for (let k = 0; k < K; k++) {
    const bare = new Miniflare({ modules: true, script: "export default { fetch() { return new Response('ok'); } }", compatibilityDate: "2026-07-01" });
    await bare.ready;
    const bareCPU = cpuOf(workerdPids());
    await bare.dispose();
    const ds = await startDownstream();
    const w = await startWorker({ secret: "bench", vars: { FORWARD_URL: ds.url } });
    const pids = workerdPids();
    const readyCPU = cpuOf(pids);
    const r = await fetch(w.url + "/hook/eyun", { method: "POST", body, headers: { "X-Wxhook-Secret": "bench" } });
    await r.text();
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    const firstCPU = cpuOf(pids) - readyCPU;
    await w.mf.dispose();
    await ds.close();
    rounds.push({ bareCPU, readyCPU, firstCPU });
    console.log(`round ${k + 1}: workerd start-up CPU bare ${bareCPU} ms, this Worker ${readyCPU} ms; first request ${firstCPU} ms`);
  }
  const med = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(K / 2)];
  console.log(`medians of ${K} (10 ms ticks): bare ${med("bareCPU")} ms, this Worker ${med("readyCPU")} ms, first request ${med("firstCPU")} ms`);
  process.exit(0);
}

// 1. _initialize in Node.
const mod = new WebAssembly.Module(wasm);
{
  const shim = minimalWASI();
  const inst = new WebAssembly.Instance(mod, shim.imports);
  const c0 = process.cpuUsage(), t0 = performance.now();
  shim.start(inst);
  const wall = performance.now() - t0, c = process.cpuUsage(c0);
  console.log(`node ${process.version}: _initialize ${ms(wall)} wall, ${ms((c.user + c.system) / 1000)} CPU (minimalWASI)`);
}
if (WebAssembly.Module.customSections(mod, "wxhook.preinit").length > 0) {
  console.log("inittrace: none, the module is pre-initialized (its packages' init ran at build time)");
} else {
  const lines = [];
  const wasi = new WASI({ version: "preview1", env: { GODEBUG: "inittrace=1" }, stdout: 2, stderr: 2 });
  // inittrace goes to fd 2; catch it through a wrapped fd_write.
  const imp = { ...wasi.wasiImport };
  let mem;
  const td = new TextDecoder();
  imp.fd_write = (fd, iovs, n, out) => {
    const v = new DataView(mem.buffer);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = v.getUint32(iovs + 8 * i, true), l = v.getUint32(iovs + 8 * i + 4, true);
      lines.push(td.decode(new Uint8Array(mem.buffer, p, l)));
      total += l;
    }
    v.setUint32(out, total, true);
    return 0;
  };
  const i2 = new WebAssembly.Instance(mod, { wasi_snapshot_preview1: imp });
  mem = i2.exports.memory;
  wasi.initialize(i2);
  const per = lines.join("").split("\n").filter((l) => l.startsWith("init ")).map((l) => {
    const m = /^init (\S+) @\S+ ms, (\S+) ms clock/.exec(l);
    return m ? [m[1], Number(m[2])] : null;
  }).filter(Boolean).sort((a, b) => b[1] - a[1]);
  const total = per.reduce((s, [, t]) => s + t, 0);
  console.log(`inittrace (a second instance: V8 has compiled the code once): ${per.length} packages, ${ms(total)} in package init; top:`);
  for (const [p, t] of per.slice(0, 8)) console.log(`  ${p.padEnd(50)} ${ms(t)}`);
}

// 2. workerd cold start.
{
  const bare = new Miniflare({ modules: true, script: "export default { fetch() { return new Response('ok'); } }", compatibilityDate: "2026-07-01" });
  await bare.ready;
  const bareCPU = cpuOf(workerdPids());
  await bare.dispose();

  const ds = await startDownstream();
  const t0 = performance.now();
  const w = await startWorker({ secret: "bench", vars: { FORWARD_URL: ds.url } });
  const readyWall = performance.now() - t0;
  const pids = workerdPids();
  const readyCPU = cpuOf(pids);
  const body = readFileSync(new URL("callbacks/eyun/seed_text_private.json", testdata), "utf8");
  const t1 = performance.now();
  const r = await fetch(w.url + "/hook/eyun", { method: "POST", body, headers: { "X-Wxhook-Secret": "bench" } });
  await r.text();
  const firstWall = performance.now() - t1;
  const firstCPU = cpuOf(pids) - readyCPU;
  console.log(`workerd start-up: bare Worker ${bareCPU} ms CPU; this Worker ${readyCPU} ms CPU, ${ms(readyWall)} wall (module compile + _initialize at global scope: ~${readyCPU - bareCPU} ms CPU)`);
  console.log(`first request (eyun text, ${r.status}): ${ms(firstWall)} wall, ${firstCPU} ms CPU of workerd (10 ms ticks)`);

  // 3. p50/p99 over N new text events.
  const walls = [];
  const c0 = cpuOf(pids);
  for (let i = 0; i < N; i++) {
    const b = body.replace("769189154845429899", String(769189154845400000n + BigInt(i + 1)));
    const t = performance.now();
    const a = await fetch(w.url + "/hook/eyun", { method: "POST", body: b, headers: { "X-Wxhook-Secret": "bench" } });
    await a.text();
    walls.push(performance.now() - t);
    if (a.status !== 200) throw new Error(`status ${a.status}`);
  }
  const cpuLoop = cpuOf(pids) - c0;
  walls.sort((a, b) => a - b);
  console.log(`${N} eyun text callbacks, one at a time (dedup + forward): p50 ${ms(pct(walls, 50))}, p99 ${ms(pct(walls, 99))}, workerd CPU ${(cpuLoop / N).toFixed(2)} ms per request`);
  await w.mf.dispose();
  await ds.close();
}

// 4. CPU per decode for the fixture set, in workerd.
{
  const ds = await startDownstream();
  const w = await startWorker({ secret: "bench", vars: { FORWARD_URL: ds.url }, dedup: false });
  const pids = workerdPids();
  const files = [];
  for (const d of ["wecom", "eyun", "dll"]) {
    for (const f of readdirSync(new URL(`callbacks/${d}/`, testdata))) files.push([d, readFileSync(new URL(`callbacks/${d}/${f}`, testdata))]);
  }
  const rounds = Math.max(1, Math.round(N / files.length));
  const run = async (secret) => {
    const c0 = cpuOf(pids);
    for (let k = 0; k < rounds; k++) {
      for (const [d, b] of files) {
        const a = await fetch(`${w.url}/hook/${d}`, { method: "POST", body: b, headers: { "X-Wxhook-Secret": secret } });
        await a.text();
      }
    }
    return (cpuOf(pids) - c0) / (rounds * files.length);
  };
  await run("bench"); // warm-up
  const ok = await run("bench");
  const refused = await run("wrong");
  console.log(`fixture set (${files.length} files × ${rounds}): workerd CPU ${ok.toFixed(3)} ms per decoded+forwarded callback, ${refused.toFixed(3)} ms per 403 (no decode): decode + delivery ≈ ${(ok - refused).toFixed(3)} ms`);
  // The same decodes in Node, on minimalWASI (V8, without HTTP).
  const shim = minimalWASI();
  const wx = await load(wasm, { imports: shim.imports, start: shim.start });
  for (const [d, b] of files) wx.decode(b, d);
  const c0 = process.cpuUsage();
  let n = 0;
  for (let k = 0; k < rounds * 5; k++) for (const [d, b] of files) { wx.decode(b, d); n++; }
  const c = process.cpuUsage(c0);
  console.log(`node, same decodes without HTTP: ${((c.user + c.system) / n).toFixed(1)} µs CPU per decode (mean over ${n})`);
  await w.mf.dispose();
  await ds.close();
}

// 5. Bundle size.
{
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [new URL("src/index.js", import.meta.url).pathname],
    bundle: true, format: "esm", write: false, minify: false,
    external: ["cloudflare:*", "*.wasm"],
  });
  const js = out.outputFiles[0].contents;
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const kib = (n) => (n / 1024).toFixed(0) + " KiB";
  console.log(`bundle: JS ${kib(js.length)} (${kib(gz(js))} gzip), wxhook.wasm ${kib(wasm.length)} (${kib(gz(wasm))} gzip -9); total ${kib(gz(js) + gz(wasm))} gzip of 3072 KiB (free) / 10240 KiB (paid)`);
}
