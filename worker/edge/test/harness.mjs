// harness.mjs starts the edge Worker in the real workerd runtime through
// Miniflare, with the bindings of wrangler.json (Durable Object, Queue, R2)
// and the same sources wrangler deploys; and a downstream HTTP server on
// 127.0.0.1 that plays the bot behind FORWARD_URL.
import { Miniflare } from "miniflare";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const config = JSON.parse(readFileSync(new URL("../wrangler.json", import.meta.url), "utf8"));

// startWorker runs the Worker. vars override wrangler.json's vars;
// consumer: a function receiving every Queue message body (a consumer
// Worker in the same workerd posts them to a local server).
// dedup: false leaves the DEDUP binding out (no de-duplication, as `wxhook
// serve --dedup off`), so that every event of a corpus is delivered.
export async function startWorker({ vars = {}, secret = "", queueSink = null, dedup = true } = {}) {
  const workers = [{
    name: config.name,
    rootPath: root,
    modulesRoot: root,
    scriptPath: config.main,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }, { type: "ESModule", include: ["**/*.js", "**/*.mjs"] }],
    compatibilityDate: config.compatibility_date,
    bindings: { ...config.vars, ...vars, ...(secret ? { WXHOOK_SECRET: secret } : {}) },
    durableObjects: dedup ? Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, b.class_name])) : {},
    queueProducers: Object.fromEntries(config.queues.producers.map((p) => [p.binding, p.queue])),
    r2Buckets: Object.fromEntries(config.r2_buckets.map((b) => [b.binding, b.bucket_name])),
  }];
  if (queueSink) {
    workers.push({
      name: "queue-consumer",
      modules: true,
      compatibilityDate: config.compatibility_date,
      bindings: { SINK: queueSink },
      queueConsumers: { [config.queues.producers[0].queue]: { maxBatchSize: 100, maxBatchTimeout: 0 } },
      script: `export default { async queue(batch, env) {
        for (const m of batch.messages) {
          await fetch(env.SINK, { method: "POST", body: m.body });
          m.ack();
        }
      } }`,
    });
  }
  // The Worker's console.log lines (workerd's stdout), kept for the tests
  // and echoed when WXHOOK_EDGE_LOGS is set.
  const logs = [];
  const collect = (stream) => {
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (s) => {
      pending += s;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        logs.push(line);
        if (process.env.WXHOOK_EDGE_LOGS) process.stderr.write(line + "\n");
      }
    });
  };
  const mf = new Miniflare({ workers, host: "127.0.0.1", port: 0, handleRuntimeStdio: (stdout, stderr) => { collect(stdout); collect(stderr); } });
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, ""), logs };
}

// startDownstream runs an HTTP server on 127.0.0.1 recording every POST.
// mode(): "ok" (200), "fail" (500), "redirect" (302), or a Promise to wait
// for before answering 200.
export async function startDownstream() {
  const got = [];
  const d = { got, mode: () => "ok" };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const m = d.mode();
      if (m === "fail") { res.writeHead(500); res.end("down"); return; }
      if (m === "redirect") { res.writeHead(302, { Location: "http://127.0.0.1:9/login" }); res.end(); return; }
      if (m && typeof m.then === "function") await m;
      got.push({ body: Buffer.concat(chunks), key: req.headers["x-wxhook-dedup-key"] ?? "", type: req.headers["content-type"] ?? "" });
      res.writeHead(200);
      res.end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  d.url = `http://127.0.0.1:${server.address().port}/events`;
  d.close = () => new Promise((r) => server.close(r));
  return d;
}
