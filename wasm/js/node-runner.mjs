// node-runner.mjs streams callback bodies through wxhook module instances,
// so a Go test can push 10,000+ payloads through a single node process.
//
//   node node-runner.mjs [--wasi=node|minimal|node,minimal] [path/to/wxhook.wasm]
//
// The module is compiled once and instantiated once per WASI layer named:
// node:wasi ("node") and the edge's minimalWASI shim ("minimal"). Every body
// is decoded by each instance in that order, one output frame per instance.
//
// stdin:  frames of  u32 LE body length | u8 dialect (decoder.Dialect: 0 auto … 4 gewe) | body
// stdout: frames of  u32 LE n | u8 status (0 event, 1 error) | u8 vendor | u8 kind |
//                    u32 LE dedup offset | u32 LE dedup length |
//                    u32 LE account offset | u32 LE account length | json (n-19 bytes)
// The guest's own stdout and stderr go to this process's stderr, never into the
// frames. Exit status 0 at end of input; 1 on a malformed frame or a guest failure.
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";
import { load, minimalWASI } from "./wxhook.mjs";

// minimalWASI uses the Web Crypto global, as edge runtimes have it; Node
// before 19 keeps it in node:crypto only.
globalThis.crypto ??= webcrypto;

let wasiKinds = ["node"];
let path = fileURLToPath(new URL("../../host/wxhook.wasm", import.meta.url));
for (const a of process.argv.slice(2)) {
  if (a.startsWith("--wasi=")) wasiKinds = a.slice(7).split(",");
  else path = a;
}

const module = await WebAssembly.compile(readFileSync(path));
const decoders = [];
for (const kind of wasiKinds) {
  if (kind === "node") {
    const wasi = new WASI({ version: "preview1", args: [], env: {}, stdout: 2, stderr: 2, returnOnExit: false });
    // wasiImport rather than getImportObject(): the latter is missing from older Node releases.
    decoders.push(await load(module, { imports: { wasi_snapshot_preview1: wasi.wasiImport }, start: (i) => wasi.initialize(i) }));
  } else if (kind === "minimal") {
    const shim = minimalWASI({ log: (line) => process.stderr.write(line + "\n") });
    decoders.push(await load(module, { imports: shim.imports, start: shim.start }));
  } else {
    process.stderr.write(`node-runner: unknown --wasi=${kind}\n`);
    process.exit(2);
  }
}

let buf = Buffer.alloc(0);
const HEAD = 19;

function handle(chunk) {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  const outs = [];
  let off = 0;
  while (buf.length - off >= 5) {
    const n = buf.readUInt32LE(off);
    if (buf.length - off < 5 + n) break;
    const dialect = buf[off + 4];
    const body = buf.subarray(off + 5, off + 5 + n);
    off += 5 + n;
    for (const wx of decoders) {
      const r = wx.decode(body, dialect);
      const head = Buffer.alloc(4 + HEAD);
      head.writeUInt32LE(HEAD + r.json.length, 0);
      head[4] = r.ok ? 0 : 1;
      head[5] = r.vendorCode;
      head[6] = r.kindCode;
      head.writeUInt32LE(r.ok ? r.dedupKey.byteOffset - r.json.byteOffset : 0, 7);
      head.writeUInt32LE(r.dedupKey.length, 11);
      head.writeUInt32LE(r.ok ? r.account.byteOffset - r.json.byteOffset : 0, 15);
      head.writeUInt32LE(r.account.length, 19);
      outs.push(head, r.json);
    }
  }
  buf = buf.subarray(off);
  if (outs.length) process.stdout.write(Buffer.concat(outs));
}

process.stdin.on("data", (chunk) => {
  try {
    handle(chunk);
  } catch (e) {
    process.stderr.write(`node-runner: ${e.stack ?? e}\n`);
    process.exit(1);
  }
});
process.stdin.on("end", () => {
  if (buf.length) {
    process.stderr.write(`node-runner: ${buf.length} bytes of a truncated frame at end of input\n`);
    process.exit(1);
  }
});
