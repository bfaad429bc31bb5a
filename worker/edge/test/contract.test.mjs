// Runs testdata/http/contract.json — the hook routes' contract, the same
// table worker/contract_test.go runs against the Go worker — against the edge
// Worker in workerd, delivering by HTTP forward to a downstream on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startWorker, startDownstream } from "./harness.mjs";

const testdata = new URL("../../../testdata/", import.meta.url);
const read = (rel) => readFileSync(new URL(rel, testdata));
const doc = JSON.parse(read("http/contract.json"));
const sub = (s) => s.replaceAll("${secret}", doc.config.secret);

let w, ds;
before(async () => {
  ds = await startDownstream();
  w = await startWorker({ secret: doc.config.secret, vars: { FORWARD_URL: ds.url, MAX_BODY: String(doc.config.max_body) } });
});
after(async () => {
  await w?.mf.dispose();
  await ds?.close();
});

function bodyOf(b) {
  if (!b) return undefined;
  if (b.file) return read(b.file);
  if (b.repeat) return Buffer.from(b.repeat.repeat(b.count));
  return Buffer.from(b.text ?? "");
}

async function send(st, body) {
  const headers = {};
  for (const [k, v] of Object.entries(st.headers ?? {})) headers[k] = sub(v);
  const r = await fetch(w.url + sub(st.path), { method: st.method, headers, body: st.method === "GET" ? undefined : body, redirect: "manual" });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

function checkAnswer(where, a, want) {
  assert.equal(a.status, want.status, `${where}: status ${a.status} ${a.body}`);
  for (const [k, v] of Object.entries(want.headers ?? {})) assert.equal(a.headers.get(k), v, `${where}: header ${k}`);
  for (const k of want.absent_headers ?? []) assert.equal(a.headers.get(k), null, `${where}: header ${k} must be absent`);
  if (want.body !== undefined) assert.equal(a.body, want.body, `${where}: body`);
  if (want.body_golden) assert.equal(a.body, read(want.body_golden).toString(), `${where}: body vs ${want.body_golden}`);
  if (want.error) {
    const e = JSON.parse(a.body).error;
    for (const [k, v] of Object.entries(want.error)) assert.equal(String(e[k]), v, `${where}: error.${k} in ${a.body}`);
    for (const word of want.detail_contains ?? []) assert.ok((e.detail ?? "").includes(word), `${where}: detail ${e.detail} must name ${word}`);
  }
}

for (const c of doc.cases) {
  test(c.name, async () => {
    for (const [i, st] of c.steps.entries()) {
      const body = bodyOf(st.body);
      const mode = st.downstream ?? "ok";
      let release, held;
      const heldP = new Promise((r) => { held = r; });
      const gate = new Promise((r) => { release = r; });
      let first = true;
      ds.mode = () => {
        if (mode !== "hold") return mode;
        if (!first) return "ok";
        first = false;
        held();
        return gate;
      };
      const before = ds.got.length;
      const logsBefore = w.logs.length;
      let got;
      if ((st.parallel ?? 1) > 1) {
        const p0 = send(st, body);
        if (mode === "hold") await heldP;
        const rest = [];
        for (let n = 1; n < st.parallel; n++) rest.push(await send(st, body));
        release();
        got = [...rest, await p0];
      } else {
        got = [await send(st, body)];
      }
      got.sort((a, b) => a.status - b.status);
      const wants = st.parallel > 1 ? st.want_parallel : [st.want];
      assert.equal(got.length, wants.length);
      wants.forEach((want, j) => checkAnswer(`step ${i} answer ${j}`, got[j], want));
      // One JSON log line per rejected or failed callback, none otherwise.
      const failed = got.filter((a) => a.status >= 300).map((a) => a.status).sort();
      await new Promise((r) => setTimeout(r, 50)); // workerd's stdout is a pipe
      const logged = w.logs.slice(logsBefore).map((l) => JSON.parse(l));
      assert.deepEqual(logged.map((l) => l.status).sort(), failed, `step ${i}: log lines ${JSON.stringify(logged)}`);
      for (const l of logged) assert.ok(!JSON.stringify(l).includes(doc.config.secret), `step ${i}: the secret is in a log line`);
      const taken = ds.got.slice(before);
      assert.equal(taken.length, st.delivered.count, `step ${i}: deliveries`);
      if (st.delivered.golden && taken.length) {
        const want = read(st.delivered.golden).toString().replace(/\n$/, "");
        assert.equal(taken[0].body.toString(), want, `step ${i}: delivered event vs ${st.delivered.golden}`);
        assert.equal(taken[0].key, JSON.parse(want).dedup_key, `step ${i}: X-Wxhook-Dedup-Key`);
      }
    }
  });
}
