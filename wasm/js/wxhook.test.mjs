// node --test wasm/js/wxhook.test.mjs: the loader's input checks, with the
// committed module under node:wasi (cmd/wxhook's TestJSLoader runs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
import { load } from "./wxhook.mjs";

const root = new URL("../../", import.meta.url);

// One instance for both tests: compiling the module takes seconds.
const wasi = new WASI({ version: "preview1" });
const wx = await load(readFileSync(new URL("host/wxhook.wasm", root)), {
  imports: { wasi_snapshot_preview1: wasi.wasiImport },
  start: (instance) => wasi.initialize(instance),
});

test("decode takes bytes and gives bytes", async () => {
  const body = readFileSync(new URL("testdata/callbacks/eyun/seed_text_private.json", root));
  for (const input of [body, new Uint8Array(body)]) {
    const r = wx.decode(input, "eyun");
    assert.equal(r.ok, true);
    assert.ok(r.json instanceof Uint8Array && r.dedupKey instanceof Uint8Array);
    const ev = JSON.parse(new TextDecoder().decode(r.json));
    assert.equal(ev.vendor, "eyun");
    assert.equal(ev.dedup_key, new TextDecoder().decode(r.dedupKey));
  }
});

test("a string or anything but bytes is a TypeError", async () => {
  const text = readFileSync(new URL("testdata/callbacks/eyun/seed_text_private.json", root), "utf8");
  assert.throws(() => wx.decode(text, "eyun"), { name: "TypeError", message: /TextEncoder/ });
  for (const bad of [undefined, null, 42, {}, [123, 125], new ArrayBuffer(2)]) {
    assert.throws(() => wx.decode(bad), TypeError);
  }
  // The instance is still usable after a refused call.
  assert.equal(wx.decode(new TextEncoder().encode(text), "auto").ok, true);
});

test("results stay right when the guest grows its memory", async () => {
  // The loader keeps views over the guest's memory between calls; growing
  // the memory detaches them, and the next call must notice.
  const body = readFileSync(new URL("testdata/callbacks/eyun/seed_text_private.json", root));
  const want = new TextDecoder().decode(wx.decode(body, "eyun").json);
  const before = wx.memory.buffer.byteLength;
  // The same callback after 12 MiB of whitespace: the input buffer and so
  // the memory must grow to take it.
  const pad = 12 << 20; // under decoder.MaxInput (16 MiB)
  const big = new Uint8Array(pad + body.length).fill(0x20);
  big[0] = 0x7b; // "{" then the padding, then the body without its "{"
  big.set(body.subarray(body.indexOf(0x7b) + 1), pad);
  const r = wx.decode(big, "eyun");
  assert.ok(wx.memory.buffer.byteLength > before, "the memory grew");
  assert.equal(r.ok, true);
  assert.equal(new TextDecoder().decode(r.json), want);
  assert.equal(new TextDecoder().decode(r.dedupKey), JSON.parse(want).dedup_key);
  const again = wx.decode(body, "eyun");
  assert.equal(new TextDecoder().decode(again.json), want);
  assert.equal(new TextDecoder().decode(again.account), JSON.parse(want).account);
});
