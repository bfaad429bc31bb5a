// The edge Worker's own behaviour in workerd, beyond the shared contract:
// start-up at global scope, Queue delivery, redirects, dead letters that
// `wxhook replay` reads, and the one module everywhere.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, startDownstream } from "./harness.mjs";
import { check } from "../scripts/sync-module.mjs";

const testdata = new URL("../../../testdata/", import.meta.url);
const read = (rel) => readFileSync(new URL(rel, testdata));
const golden = (rel) => read(`golden/${rel}`).toString().replace(/\n$/, "");
const SECRET = "edge-s3cret";
const post = (url, path, body, headers = { "X-Wxhook-Secret": SECRET }) =>
  fetch(url + path, { method: "POST", body, headers, redirect: "manual" });
const waitFor = async (what, cond) => {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

let ds, qs, w;
before(async () => {
  ds = await startDownstream();
  qs = await startDownstream();
  w = await startWorker({ secret: SECRET, vars: { FORWARD_URL: ds.url, MAX_BODY: String(32 << 20) }, queueSink: qs.url });
});
after(async () => {
  await w?.mf.dispose();
  await ds?.close();
  await qs?.close();
});

test("the Worker runs the committed module: gen/ copies are byte-identical to host/wxhook.wasm and wasm/js/wxhook.mjs", () => {
  assert.deepEqual(check(), []);
});

test("the module starts at global scope (no fallback to a start in the request)", async () => {
  const r = await post(w.url, "/hook/eyun", read("callbacks/eyun/seed_video_private.json"));
  assert.equal(r.status, 200, await r.text());
  const bad = w.logs.filter((l) => l.includes("global scope") || l.includes("wxhook module"));
  assert.deepEqual(bad, []);
});

test("Queue delivery: the message body is the canonical event, byte for byte, as the forward's", async () => {
  const n = qs.got.length, m = ds.got.length;
  const r = await post(w.url, "/hook/dll", read("callbacks/dll/voice.json"));
  assert.equal(r.status, 200, await r.text());
  await waitFor("the queue message", () => qs.got.length > n);
  assert.equal(qs.got.length, n + 1);
  assert.equal(qs.got[n].body.toString(), golden("dll/voice.json"));
  assert.equal(ds.got.length, m + 1);
  assert.equal(ds.got[m].body.toString(), golden("dll/voice.json"));
});

test("a redirect from the downstream is a failed delivery: 503, not marked seen, the retry is delivered", async () => {
  const body = read("callbacks/wecom/seed_location.json");
  ds.mode = () => "redirect";
  const r1 = await post(w.url, "/hook/wecom", body);
  assert.equal(r1.status, 503, await r1.text());
  assert.equal(r1.headers.get("Retry-After"), "1");
  const line = w.logs.map((l) => JSON.parse(l)).findLast((l) => l.status === 503);
  assert.match(line.cause, /answered 302 \(Location: http:\/\/127\.0\.0\.1:9\/login\)/);
  ds.mode = () => "ok";
  const n = ds.got.length;
  const r2 = await post(w.url, "/hook/wecom", body);
  assert.equal(r2.status, 200, await r2.text());
  assert.equal(r2.headers.get("X-Wxhook-Duplicate"), null);
  assert.equal(ds.got.length, n + 1);
  assert.equal(ds.got[n].body.toString(), golden("wecom/seed_location.json"));
});

test("dead letters: deadletter.ndjson's format in R2, served on GET /deadletter, read by `wxhook replay`", async () => {
  const bad = read("callbacks/invalid/truncated.json");
  const r = await post(w.url, `/hook/${SECRET}/eyun`, bad, {});
  assert.equal(r.status, 400);
  const errJSON = (await r.text()).trimEnd();
  // Over the decoder's own limit (decoder.MaxInput, 16 MiB) but under MAX_BODY.
  const big = await post(w.url, "/hook/eyun", Buffer.alloc((16 << 20) + 1, 0x61));
  assert.equal(big.status, 413); // and not dead-lettered (below)
  assert.equal((await fetch(w.url + "/deadletter")).status, 401);
  const list = await fetch(w.url + "/deadletter", { headers: { "X-Wxhook-Secret": SECRET } });
  assert.equal(list.status, 200);
  const text = await list.text();
  assert.ok(!text.includes(SECRET), "the secret is in a dead letter");
  const lines = text.trimEnd().split("\n");
  const rec = lines.map((l) => JSON.parse(l)).find((l) => l.route === "/hook/_/eyun");
  assert.ok(rec, text);
  assert.equal(lines.filter((l) => JSON.parse(l).status === 413).length, 0, "a 413 was dead-lettered");
  assert.deepEqual(Object.keys(rec), ["time", "route", "remote", "status", "error", "body_base64"]);
  assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(rec.status, 400);
  assert.equal(JSON.stringify({ error: rec.error }), errJSON);
  assert.deepEqual(Buffer.from(rec.body_base64, "base64"), bad);

  // `wxhook replay` sends it again (still undecodable: 400 again).
  const dir = mkdtempSync(join(tmpdir(), "wxhook-edge-"));
  const file = join(dir, "deadletter.ndjson");
  writeFileSync(file, text);
  const bin = fileURLToPath(new URL("../gen/wxhook", import.meta.url));
  let out;
  try {
    out = execFileSync(bin, ["replay", "--to", w.url, "--secret", SECRET, file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    out = e.stdout; // exit 1: the record was refused again, as expected
    assert.equal(e.status, 1, e.stderr);
  }
  assert.match(out, /deadletter\.ndjson:1\t\/hook\/eyun\tnot_json\t400 not_json\n/); // route: /hook/_/eyun sent as /hook/eyun
});

test("dedup lease and TTL: a claim stuck past its lease lets the next copy deliver; a key forgets after the TTL", async () => {
  const d2 = await startDownstream();
  const w2 = await startWorker({ secret: SECRET, vars: { FORWARD_URL: d2.url, DEDUP_LEASE_SECONDS: "1", DEDUP_TTL_SECONDS: "2" } });
  try {
    const body = read("callbacks/eyun/seed_room_topic.json");
    let release, held;
    const heldP = new Promise((r) => { held = r; });
    const gate = new Promise((r) => { release = r; });
    let first = true;
    d2.mode = () => { if (!first) return "ok"; first = false; held(); return gate; };
    const a = post(w2.url, "/hook/eyun", body);
    await heldP;
    const b1 = await post(w2.url, "/hook/eyun", body);
    assert.equal(b1.status, 409, "within the lease");
    await new Promise((r) => setTimeout(r, 1200));
    const b2 = await post(w2.url, "/hook/eyun", body);
    assert.equal(b2.status, 200, "after the lease the next copy claims the key and is delivered");
    assert.equal(b2.headers.get("X-Wxhook-Duplicate"), null);
    release();
    assert.equal((await a).status, 200);
    assert.equal(d2.got.length, 2); // the stuck one and the retry: at least once, never lost
    const c = await post(w2.url, "/hook/eyun", body);
    assert.equal(c.headers.get("X-Wxhook-Duplicate"), "1");
    await new Promise((r) => setTimeout(r, 2200));
    const e = await post(w2.url, "/hook/eyun", body);
    assert.equal(e.status, 200);
    assert.equal(e.headers.get("X-Wxhook-Duplicate"), null, "after the TTL the key is forgotten");
    assert.equal(d2.got.length, 3);
  } finally {
    await w2.mf.dispose();
    await d2.close();
  }
});

test("an event over the Queue's message limit: 422 sink_too_large, dead-lettered, nothing delivered, not marked seen", async () => {
  // The seed text callback with a text long enough that its canonical
  // event exceeds a Queue message (128,000 bytes), as a long message or an
  // unknown event carrying its raw body can.
  const cb = JSON.parse(read("callbacks/eyun/seed_text_private.json"));
  cb.data.content = "x".repeat(130000);
  cb.data.newMsgId = 7000000000000000001;
  const body = JSON.stringify(cb);
  const n = qs.got.length, m = ds.got.length;
  for (const attempt of [1, 2]) {
    const r = await post(w.url, "/hook/eyun", body);
    assert.equal(r.status, 422, `attempt ${attempt}`);
    const e = JSON.parse(await r.text()).error;
    assert.equal(e.code, "sink_too_large");
    assert.equal(e.vendor, "eyun");
    assert.match(e.detail, /exceeds the Queue's message limit of 128000 bytes/);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(qs.got.length, n, "a Queue message was sent");
  assert.equal(ds.got.length, m, "the event was forwarded");
  const list = await fetch(w.url + "/deadletter", { headers: { "X-Wxhook-Secret": SECRET } });
  const recs = (await list.text()).trimEnd().split("\n").map((l) => JSON.parse(l)).filter((l) => l.status === 422);
  assert.equal(recs.length, 2);
  assert.equal(recs[0].error.code, "sink_too_large");
  assert.equal(Buffer.from(recs[0].body_base64, "base64").toString(), body);
});
