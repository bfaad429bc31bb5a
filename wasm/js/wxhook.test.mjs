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
