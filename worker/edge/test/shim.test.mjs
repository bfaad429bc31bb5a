// minimalWASI (wasm/js/wxhook.mjs), the WASI the module gets in workerd,
// checked function by function for what the Go runtime needs of it, in Node
// (workerd itself runs it in edge.test.mjs and contract.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { load, minimalWASI } from "../gen/wxhook.mjs";

const bytes = readFileSync(new URL("../gen/wxhook.wasm", import.meta.url));
const testdata = new URL("../../../testdata/", import.meta.url);

// A shim bound to a bare memory, to call its functions directly.
function bare(opts) {
  const shim = minimalWASI(opts);
  const memory = new WebAssembly.Memory({ initial: 1 });
  shim.start({ exports: { memory, _initialize() {} } });
  return { w: shim.imports.wasi_snapshot_preview1, v: () => new DataView(memory.buffer), shim };
}
const now = (w, v, id = 1) => { assert.equal(w.clock_time_get(id, 0n, 0), 0); return v().getBigUint64(0, true); };

function clockSub(v, at, userdata, timeout, { abs = false, id = 1 } = {}) {
  v.setBigUint64(at, userdata, true);
  v.setUint8(at + 8, 0); // clock
  v.setUint32(at + 16, id, true);
  v.setBigUint64(at + 24, timeout, true);
  v.setBigUint64(at + 32, 1000n, true);
  v.setUint16(at + 40, abs ? 1 : 0, true);
}

test("every function the module imports is in minimalWASI", () => {
  const want = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  const have = minimalWASI().imports;
  for (const i of want) assert.equal(typeof have[i.module]?.[i.name], "function", `${i.module}.${i.name}`);
});

test("poll_oneoff sleeps for a relative clock subscription and reports it", () => {
  const { w, v } = bare();
  clockSub(v(), 64, 0xabcdefn, 20_000_000n); // 20 ms
  const t0 = now(w, v);
  assert.equal(w.poll_oneoff(64, 256, 1, 512), 0);
  const t1 = now(w, v);
  assert.ok(t1 - t0 >= 20_000_000n, `clock moved ${t1 - t0} ns`);
  assert.equal(v().getUint32(512, true), 1);
  assert.equal(v().getBigUint64(256, true), 0xabcdefn);
  assert.equal(v().getUint16(256 + 8, true), 0); // no error
  assert.equal(v().getUint8(256 + 10), 0); // clock event
});

test("poll_oneoff where blocking is forbidden (workerd) moves the module's clock instead", () => {
  const wait = Atomics.wait;
  Atomics.wait = () => { throw new TypeError("Atomics.wait cannot be called in this context"); };
  try {
    const { w, v } = bare();
    clockSub(v(), 64, 1n, 5_000_000_000n); // 5 s: must not take 5 s
    const t0 = now(w, v), wall = Date.now();
    assert.equal(w.poll_oneoff(64, 256, 1, 512), 0);
    assert.ok(Date.now() - wall < 1000);
    assert.ok(now(w, v) - t0 >= 5_000_000_000n);
  } finally {
    Atomics.wait = wait;
  }
});

test("poll_oneoff: an absolute deadline in the past fires at once; no subscription is EINVAL; files are EBADF", () => {
  const { w, v } = bare();
  clockSub(v(), 64, 7n, 1n, { abs: true });
  assert.equal(w.poll_oneoff(64, 256, 1, 512), 0);
  assert.equal(v().getUint32(512, true), 1);
  assert.equal(v().getBigUint64(256, true), 7n);
  assert.equal(w.poll_oneoff(64, 256, 0, 512), 28);
  const x = v();
  x.setBigUint64(128, 9n, true);
  x.setUint8(128 + 8, 1); // fd_read
  x.setUint32(128 + 16, 0, true);
  assert.equal(w.poll_oneoff(128, 256, 1, 512), 0);
  assert.equal(v().getUint32(512, true), 1);
  assert.equal(v().getBigUint64(256, true), 9n);
  assert.equal(v().getUint16(256 + 8, true), 8); // EBADF
});

test("the monotonic clock never reads 0 and never goes back, even where performance.now() is 0 (workerd's global scope)", () => {
  const perf = Object.getOwnPropertyDescriptor(globalThis, "performance");
  Object.defineProperty(globalThis, "performance", { value: { now: () => 0 }, configurable: true, writable: true });
  try {
    const { w, v } = bare();
    const a = now(w, v), b = now(w, v);
    assert.ok(a > 0n, "monotonic clock read 0");
    assert.ok(b > a);
    assert.ok(now(w, v, 0) > 0n, "realtime clock read 0");
  } finally {
    Object.defineProperty(globalThis, "performance", perf);
  }
});

test("random_get where crypto.getRandomValues is forbidden (workerd's global scope) still answers, and counts it", () => {
  const desc = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: { getRandomValues() { throw new Error("Disallowed operation called within global scope"); } }, configurable: true, writable: true });
  try {
    const { w, v, shim } = bare();
    assert.equal(w.random_get(64, 32), 0);
    assert.equal(shim.randomFallbacks, 1);
    assert.ok(new Uint8Array(v().buffer, 64, 32).some((b) => b !== 0));
  } finally {
    Object.defineProperty(globalThis, "crypto", desc);
  }
});

test("the module starts on minimalWASI and decodes as the goldens say; decodes read no random values", async () => {
  const shim = minimalWASI();
  let randoms = 0;
  const rg = shim.imports.wasi_snapshot_preview1.random_get;
  shim.imports.wasi_snapshot_preview1.random_get = (...a) => { randoms++; return rg(...a); };
  const wx = await load(bytes, { imports: shim.imports, start: shim.start });
  const atStart = randoms;
  for (const name of ["eyun/seed_text_private", "wecom/seed_image", "dll/mini_program", "eyun/xml_chat_history"]) {
    const r = wx.decode(readFileSync(new URL(`callbacks/${name}.json`, testdata)), name.split("/")[0]);
    assert.equal(new TextDecoder().decode(r.json) + "\n", readFileSync(new URL(`golden/${name}.json`, testdata), "utf8"), name);
  }
  assert.equal(randoms, atStart, "a decode called random_get");
});
