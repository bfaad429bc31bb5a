// The edge Worker as one adapter on the conformance kit (internal/conformance):
// every case of the exported corpus — every testdata/callbacks file, the
// parity corpus (fixtures @dialect and @auto, fuzz corpus entries, seeded
// mutations) — is POSTed to the Worker in workerd. The answer and the
// delivered event must be byte-identical to the expected result (the native
// decoder's, which is what the Go worker answers and delivers): 200 {} and
// the canonical event with its X-Wxhook-Dedup-Key; or the status the Go
// worker gives the error code with the canonical error JSON; fixtures' errors
// also equal testdata/golden/.
//
// The corpus is written by `go run ./internal/conformance/cmd/corpus` in
// pretest (scripts/corpus.mjs) to gen/corpus.ndjson: one JSON object per line,
// {name, dialect, body (base64), ok, json, vendor, kind, dedup_key}.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { startWorker, startDownstream } from "./harness.mjs";

const corpusFile = new URL("../gen/corpus.ndjson", import.meta.url);
const testdata = new URL("../../../testdata/", import.meta.url);
const SECRET = "conformance-s3cret";

// The Go worker's status for a decoder error code (worker/handler.go).
const statusOf = (code) => (code === "too_large" ? 413 : code === "internal" ? 500 : 400);

let w, ds, qs;
before(async () => {
  ds = await startDownstream();
  qs = await startDownstream(); // gets the Queue's messages from a consumer Worker
  // No dedup binding: the corpus holds the same event more than once
  // (@dialect and @auto), and every copy's delivery is compared.
  w = await startWorker({ secret: SECRET, vars: { FORWARD_URL: ds.url }, dedup: false, queueSink: qs.url });
});
after(async () => {
  await w?.mf.dispose();
  await ds?.close();
  await qs?.close();
});

test("the conformance corpus through the edge Worker: answers and delivered events byte-identical", async () => {
  assert.ok(existsSync(corpusFile), "gen/corpus.ndjson is missing: run `npm test` (pretest writes it)");
  const cases = readFileSync(corpusFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  assert.ok(cases.length > 0, "empty corpus");
  const problems = [];
  let fixtures = 0, goldens = 0, delivered = 0;
  const queued = []; // every event the Queue must carry, in any order
  for (const c of cases) {
    const body = Buffer.from(c.body, "base64");
    const path = c.dialect === "auto" ? "/hook" : `/hook/${c.dialect}`;
    const before = ds.got.length;
    const r = await fetch(w.url + path, { method: "POST", body, headers: { "X-Wxhook-Secret": SECRET } });
    const text = await r.text();
    const got = ds.got.slice(before);
    const say = (what) => problems.push(`${c.name}: ${what}`);
    if (c.ok) {
      if (r.status !== 200 || text !== "{}") say(`answer ${r.status} ${text}, want 200 {}`);
      if (got.length !== 1) say(`${got.length} deliveries, want 1`);
      else {
        delivered++;
        queued.push(c.json);
        if (got[0].body.toString() !== c.json) say(`delivered\n  ${got[0].body}\nwant\n  ${c.json}`);
        if (got[0].key !== c.dedup_key) say(`X-Wxhook-Dedup-Key ${got[0].key}, want ${c.dedup_key}`);
      }
    } else {
      const code = JSON.parse(c.json).error.code;
      if (r.status !== statusOf(code)) say(`status ${r.status}, want ${statusOf(code)} (${code})`);
      if (text !== c.json + "\n") say(`answer\n  ${text}want\n  ${c.json}`);
      if (got.length !== 0) say(`${got.length} deliveries of a refused body`);
    }
    // A fixture's name is its path under testdata/callbacks/: its answer
    // (error) or its event must also equal the golden file.
    if (!c.name.includes("@") && existsSync(new URL(`callbacks/${c.name}.json`, testdata))) {
      fixtures++;
      const g = new URL(`golden/${c.name}.json`, testdata);
      if (existsSync(g)) {
        goldens++;
        const want = readFileSync(g, "utf8");
        const have = c.ok ? (got[0]?.body.toString() ?? "") + "\n" : text;
        if (have !== want) say(`differs from testdata/golden/${c.name}.json`);
      }
    }
    if (problems.length >= 20) break;
  }
  assert.deepEqual(problems, [], problems.join("\n"));
  // The Queue carried the same events, byte for byte (the consumer may see
  // them in another order).
  for (let i = 0; i < 400 && qs.got.length < queued.length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(qs.got.map((g) => g.body.toString()).sort(), queued.sort(), "queue messages");
  assert.ok(fixtures > 0 && goldens === fixtures, `fixtures ${fixtures}, with goldens ${goldens}`);
  console.log(`conformance: ${cases.length} cases (${fixtures} fixtures checked against goldens), ${delivered} events delivered`);
});
