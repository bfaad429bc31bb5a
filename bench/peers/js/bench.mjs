// bench.mjs: one pass of the JS side of the peers benchmark (run.sh runs
// nine, interleaved with the Go side). For each payload it times wxhook's
// module in this V8 (wasm/js/wxhook.mjs over node:wasi) and the JS peers of
// peers.mjs, and prints one line per measurement:
//
//   <row> <impl> <ns/op>
//
//   node bench.mjs [--time=ms]   one pass, each measurement ~ms long (200)
//   node bench.mjs --check       compare every output with the golden; exit 1
//                                on a difference the README does not expect
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { load } from "../../../wasm/js/wxhook.mjs";
import { peers } from "./peers.mjs";

const root = (p) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

const payloads = [
  ["wecom_text", "wecom/seed_text_private.json", "wecom"],
  ["eyun_text", "eyun/seed_text_private.json", "eyun"],
  ["eyun_image_xml", "eyun/xml_image.json", "eyun"],
  ["eyun_link_xml", "eyun/xml_link_group.json", "eyun"],
].map(([row, path, dialect]) => {
  const bytes = readFileSync(root(`testdata/callbacks/${path}`));
  return { row, dialect, bytes: new Uint8Array(bytes), text: bytes.toString("utf8"), golden: JSON.parse(readFileSync(root(`testdata/golden/${path}`), "utf8")) };
});

const wasi = new WASI({ version: "preview1", args: [], env: {}, stdout: 2, stderr: 2, returnOnExit: false });
const wx = await load(await WebAssembly.compile(readFileSync(root("host/wxhook.wasm"))),
  { imports: { wasi_snapshot_preview1: wasi.wasiImport }, start: (i) => wasi.initialize(i) });

// impls: name -> (payload) -> output (bytes for the module, string for peers)
const impls = {
  node: (p) => {
    const r = wx.decode(p.bytes, p.dialect);
    if (!r.ok) throw new Error(`wxhook: ${new TextDecoder().decode(r.json)}`);
    return r.json;
  },
  js_lossy: (p) => peers.lossy[p.dialect](p.text),
  js_exact: (p) => peers.exact[p.dialect](p.text),
};

const args = process.argv.slice(2);
if (args.includes("--check")) {
  let bad = 0;
  for (const p of payloads) {
    for (const [name, f] of Object.entries(impls)) {
      const out = f(p);
      const got = JSON.parse(typeof out === "string" ? out : new TextDecoder().decode(out));
      const ok = isDeepStrictEqual(got, p.golden);
      // The lossy peer rounds eyun's newMsgId (> 2^53): id and dedup_key differ, nothing else.
      const expectedLoss = name === "js_lossy" && p.dialect === "eyun" && !ok &&
        isDeepStrictEqual({ ...got, id: p.golden.id, dedup_key: p.golden.dedup_key }, p.golden) && got.id !== p.golden.id;
      if (!ok && !expectedLoss) bad++;
      console.log(`${p.row} ${name} ${ok ? "golden" : expectedLoss ? `golden but id ${got.id} (golden ${p.golden.id})` : "DIFFERS"}`);
      if (!ok && !expectedLoss) console.log(JSON.stringify(got));
    }
  }
  process.exit(bad ? 1 : 0);
}

const ms = Number((args.find((a) => a.startsWith("--time=")) ?? "--time=200").slice(7));
let sink = 0;
function measure(f, p) {
  // Warm up for ms (JIT tiers, the guest's first GCs), then grow n until a
  // run lasts ms; report that run.
  const w0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - w0) < ms * 1e6) {
    for (let i = 0; i < 100; i++) sink += f(p).length;
  }
  let n = 1000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += f(p).length;
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt >= ms * 1e6) return dt / n;
    n = Math.ceil(n * Math.min(100, Math.max(1.5, (ms * 1.2e6) / Math.max(dt, 1))));
  }
}
for (const p of payloads) {
  for (const [name, f] of Object.entries(impls)) {
    console.log(`${p.row} ${name} ${measure(f, p).toFixed(1)}`);
  }
}
if (sink === 0) console.error("no output");
