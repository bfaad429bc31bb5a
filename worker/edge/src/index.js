// The edge flavour of `wxhook serve`: a Cloudflare Worker that takes vendor
// callbacks on the same routes with the same answers as worker/handler.go
// (the contract is testdata/http/contract.json, run against both), decodes
// them with the committed host/wxhook.wasm through wasm/js/wxhook.mjs (copied
// into gen/ by scripts/sync-module.mjs, byte for byte), de-duplicates them in
// a Durable Object (reserve → deliver → commit) and delivers the canonical
// event to a Queue and/or an HTTP endpoint.
import { DurableObject } from "cloudflare:workers";
import wasmModule from "../gen/wxhook.wasm";
import { load, minimalWASI, DIALECTS } from "../gen/wxhook.mjs";
import { errorJSON, base64 } from "./json.js";

// Start-up: the module is instantiated and its _initialize runs at global
// scope, in the isolate's start-up, not in the first request's CPU time. The
// committed module is pre-initialized (build.sh, internal/preinit), so that
// _initialize does nothing; the shim still covers a module that starts the
// Go runtime there. workerd allows
// that for a WebAssembly.Module imported as CompiledWasm (it forbids
// compiling bytes at run time); minimalWASI keeps the clock above 0 and seeds
// the runtime from Math.random there, where crypto.getRandomValues is
// forbidden. A module that traps leaves its instance unusable: the next
// request builds a fresh one (see engine()).
const logLine = (o) => console.log(JSON.stringify(o));
function newInstance() {
  const shim = minimalWASI({ log: (line) => logLine({ level: "error", msg: "wxhook module", line }) });
  return load(wasmModule, { imports: shim.imports, start: shim.start });
}
let instance = newInstance();
let atGlobalScope = true;
instance.catch(() => {}); // reported by the first request that awaits it

// engine returns the instance. If starting it failed — at global scope (it
// must not: that would be a bug in the shim) or after a trap — it is started
// again here, in a request, where workerd allows everything; if that fails
// too, this request gets a 500 and the next one tries again.
async function engine() {
  try {
    return await instance;
  } catch (e) {
    logLine({
      level: "error",
      msg: atGlobalScope ? "module start-up at global scope failed; starting it in the request" : "module start-up failed; starting it again",
      err: String(e?.message ?? e),
    });
    instance = newInstance();
    instance.catch(() => {});
    return await instance;
  } finally {
    atGlobalScope = false;
  }
}

// ---- the callback contract -------------------------------------------------

const VENDORS = DIALECTS.filter((d) => d !== "auto");
const ROUTES = `routes: POST /hook, /hook/{vendor}, /hook/{secret}, /hook/{secret}/{vendor}; vendor: ${VENDORS.join(", ")} or auto (lower case)`;
const json = { "Content-Type": "application/json" };

// isVendor reports whether s is a route's vendor segment: a vendor name or
// "auto", spelled exactly (lower case).
const isVendor = (s) => s === "auto" || VENDORS.includes(s);

// route splits what follows /hook/ as worker/handler.go's route does
// (worker/README.md, "Routes and answers"):
//   ""                  auto-detect, secret in the header
//   "{vendor}"          a vendor name or "auto", secret in the header
//   "{secret}"          exactly the configured secret, auto-detect
//   "{secret}/{vendor}"
// A single segment that is not a vendor is a route only if it is the
// secret (checked by the caller, in constant time): a mistyped vendor and a
// wrong secret cannot be told apart, so both are 404, never a secret taken
// from a typo.
function route(rest) {
  if (rest === "") return { dialect: "auto", secret: "", ok: true };
  const i = rest.indexOf("/");
  if (i < 0) {
    if (isVendor(rest)) return { dialect: rest, secret: "", ok: true };
    return { dialect: "auto", secret: rest, ok: true, onlySecret: true };
  }
  const first = rest.slice(0, i), second = rest.slice(i + 1);
  if (first === "" || isVendor(first) || !isVendor(second)) return { ok: false };
  return { dialect: second, secret: first, ok: true };
}

// redact replaces every path segment that could be a secret (anything but
// a route word or a vendor name) by "_", as worker/handler.go's redact does.
const PUBLIC_SEGMENTS = new Set(["", "hook", "healthz", "readyz", "metrics", "deadletter"]);
function redact(path) {
  return path.split("/").map((s) => (PUBLIC_SEGMENTS.has(s) || isVendor(s) ? s : "_")).join("/");
}

const enc = new TextEncoder();
async function digest(s) {
  return crypto.subtle.digest("SHA-256", enc.encode(s));
}

// authorized compares SHA-256 digests in constant time (fixed-size digests:
// constant in the secret's length too).
async function authorized(request, env, pathSecret) {
  if (env.INSECURE === "true") return "";
  const given = pathSecret || request.headers.get("X-Wxhook-Secret") || "";
  if (given === "") return "unauthorized";
  return (await secretIs(given, env)) ? "" : "forbidden";
}

// secretIs compares given with the secret binding through SHA-256 digests
// in constant time (fixed-size digests: constant in the secret's length too).
async function secretIs(given, env) {
  if (!env.WXHOOK_SECRET) return false;
  const [a, b] = await Promise.all([digest(given), digest(env.WXHOOK_SECRET)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

class TooLarge extends Error {}

// readBody reads the whole body, refusing more than max bytes.
async function readBody(request, max) {
  const cl = request.headers.get("Content-Length");
  if (cl !== null && Number(cl) > max) throw new TooLarge();
  if (!request.body) return new Uint8Array(0);
  const chunks = [];
  let n = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { body.set(c, o); o += c.length; }
  return body;
}

function num(v, dflt) {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n > 0 ? n : dflt;
}

// fail answers with the canonical error JSON, logs one JSON line and, when
// keep is set, dead-letters the body to R2 in deadletter.ndjson's format.
async function fail(ctx, status, err, { body = null, keep = false, headers = {}, cause = undefined } = {}) {
  const js = errorJSON(err);
  if (keep) await deadLetter(ctx, status, js, body);
  logLine({
    level: status >= 500 ? "error" : "warn",
    msg: status >= 500 ? "callback failed" : "callback rejected",
    status, code: err.code, route: redact(ctx.path), remote: ctx.remote,
    vendor: err.vendor ?? "auto", detail: err.detail ?? "",
    ...(cause === undefined ? {} : { cause }),
  });
  return new Response(js + "\n", { status, headers: { ...json, ...headers } });
}

// deadLetter writes one record, as a line of worker/deadletter.go's
// deadletter.ndjson, to its own R2 object (R2 has no append): concatenated
// in key order, the objects are a deadletter.ndjson `wxhook replay` reads.
async function deadLetter(ctx, status, errJSON, body) {
  if (!ctx.env.DEADLETTERS) return;
  const now = new Date();
  const line = `{"time":"${now.toISOString()}","route":${JSON.stringify(redact(ctx.path))},` +
    `"remote":${JSON.stringify(ctx.remote)},"status":${status},${errJSON.slice(1, -1)},` +
    `"body_base64":"${base64(body ?? new Uint8Array(0))}"}\n`;
  const key = `deadletter/${now.toISOString()}-${crypto.randomUUID()}.ndjson`;
  try {
    await ctx.env.DEADLETTERS.put(key, line, { httpMetadata: { contentType: "application/x-ndjson" } });
  } catch (e) {
    logLine({ level: "error", msg: "dead letter not kept", err: String(e), route: redact(ctx.path) });
  }
}

// SinkTooLarge is a delivery that can never succeed: the event is larger
// than a sink takes (a Queue message is at most 128,000 bytes). As the Go
// worker's sink.PermanentError: 422 sink_too_large, the body dead-lettered
// for a replay once the cause is dealt with, not a 503 the vendor would
// retry until it gives up.
class SinkTooLarge extends Error {}

// deliver hands the event on: a Queue message (the canonical JSON as text;
// it carries its dedup_key) and/or a POST to FORWARD_URL with
// X-Wxhook-Dedup-Key. Redirects are not followed: a 3xx is a failure, as is
// anything but 2xx. It throws when the event was not accepted.
async function deliver(env, event, size, key) {
  const max = num(env.QUEUE_MAX_MESSAGE_BYTES, 128000);
  if (env.EVENTS && size > max) {
    // Checked before anything is sent, so that no sink has the event
    // when the callback is refused.
    throw new SinkTooLarge(`queue: event of ${size} bytes exceeds the Queue's message limit of ${max} bytes`);
  }
  let sent = false;
  if (env.EVENTS) {
    await env.EVENTS.send(event, { contentType: "text" });
    sent = true;
  }
  if (env.FORWARD_URL) {
    const r = await fetch(env.FORWARD_URL, {
      method: "POST",
      body: event,
      headers: { "Content-Type": "application/json", "X-Wxhook-Dedup-Key": key },
      redirect: "manual",
    });
    await r.body?.cancel();
    if (r.status < 200 || r.status > 299) {
      const loc = r.headers.get("Location");
      throw new Error(`forward: ${env.FORWARD_URL} answered ${r.status}${loc ? ` (Location: ${loc})` : ""}`);
    }
    sent = true;
  }
  if (!sent) throw new Error("no delivery configured: bind EVENTS (a Queue) or set FORWARD_URL");
}

// shard is the Durable Object holding key: keys are spread over DEDUP_SHARDS
// objects by a hash of the key, so one hot object does not serialize every
// callback.
async function shard(env, key) {
  const n = num(env.DEDUP_SHARDS, 16);
  const h = new Uint8Array(await digest(key));
  const i = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
  return env.DEDUP.get(env.DEDUP.idFromName(`shard-${i % n}`));
}

async function hook(request, env, ctx, rest) {
  let r = route(rest);
  if (r.ok && r.onlySecret && !(env.WXHOOK_SECRET && (await secretIs(r.secret, env)))) r = { ok: false };
  if (!r.ok) return fail(ctx, 404, { code: "not_found", detail: "not a vendor (or the secret); " + ROUTES });
  const dialect = r.dialect;
  if (request.method !== "POST") {
    return fail(ctx, 405, { code: "method_not_allowed", vendor: dialect }, { headers: { Allow: "POST" } });
  }
  const auth = await authorized(request, env, r.secret);
  if (auth) return fail(ctx, auth === "unauthorized" ? 401 : 403, { code: auth, vendor: dialect });

  let body;
  try {
    body = await readBody(request, num(env.MAX_BODY, 8 << 20));
  } catch (e) {
    if (e instanceof TooLarge) return fail(ctx, 413, { code: "too_large", vendor: dialect, detail: "body exceeds the size limit" });
    return fail(ctx, 400, { code: "read_failed", vendor: dialect, detail: String(e?.message ?? e) });
  }

  let res;
  try {
    const wx = await engine();
    res = wx.decode(body, dialect);
  } catch (e) {
    // The engine failed, not the body (a trap leaves the instance
    // unusable): start a fresh one for the next request and let the vendor
    // retry.
    instance = newInstance();
    instance.catch(() => {});
    return fail(ctx, 500, { code: "internal", vendor: dialect, detail: String(e?.message ?? e) }, { body, keep: true });
  }
  if (!res.ok) {
    const js = new TextDecoder().decode(res.json);
    let code = "";
    try { code = JSON.parse(js).error.code; } catch {}
    // Statuses as worker/handler.go gives them for the decoder's codes.
    const status = code === "too_large" ? 413 : code === "internal" ? 500 : 400;
    return failRaw(ctx, status, js, body);
  }
  const event = new TextDecoder().decode(res.json);
  const key = new TextDecoder().decode(res.dedupKey);
  const vendor = res.vendor;

  let stub = null, claim = "";
  // Without a DEDUP binding there is no de-duplication (`--dedup off`).
  if (key !== "" && env.DEDUP) {
    try {
      stub = await shard(env, key);
      claim = crypto.randomUUID();
      const st = await stub.reserve(key, claim, num(env.DEDUP_LEASE_SECONDS, 120) * 1000);
      if (st === "duplicate") {
        return new Response("{}", { status: 200, headers: { ...json, "X-Wxhook-Duplicate": "1" } });
      }
      if (st === "in_flight") {
        return fail(ctx, 409, { code: "in_flight", vendor, detail: "this event is being delivered; retry" }, { headers: { "Retry-After": "1" } });
      }
    } catch (e) {
      // As the Go worker: fail closed. Delivered now, the event's key
      // could not be recorded and every later resend of it would be
      // delivered again; a 503 makes the vendor retry instead.
      logLine({ level: "warn", msg: "dedup store failed; refusing the callback so that the vendor retries", err: String(e), dedup_key: key });
      return fail(ctx, 503, { code: "unavailable", vendor, detail: "dedup store unavailable" }, { headers: { "Retry-After": "1" } });
    }
  }

  try {
    await deliver(env, event, res.json.byteLength, key);
  } catch (e) {
    if (stub) {
      // Free the key so the vendor's retry is delivered.
      await stub.release(key, claim).catch((err) => logLine({ level: "warn", msg: "dedup release failed", err: String(err), dedup_key: key }));
    }
    if (e instanceof SinkTooLarge) {
      return fail(ctx, 422, { code: "sink_too_large", vendor, detail: e.message }, { body, keep: true });
    }
    return fail(ctx, 503, { code: "unavailable", vendor, detail: "sink unavailable" },
      { headers: { "Retry-After": "1" }, cause: `${e?.message ?? e}; dedup_key ${key}` });
  }
  if (stub) {
    try {
      await stub.commit(key, num(env.DEDUP_TTL_SECONDS, 86400) * 1000);
    } catch (e) {
      // Delivered anyway: a replay may be delivered twice, which
      // downstream can drop by dedup key.
      logLine({ level: "warn", msg: "dedup commit failed", err: String(e), dedup_key: key });
    }
  }
  return new Response("{}", { status: 200, headers: json });
}

// failRaw is fail for an error JSON the decoder wrote.
async function failRaw(ctx, status, js, body) {
  // A 413 is never a dead letter: no replay of it can succeed.
  if (status !== 413) await deadLetter(ctx, status, js, body);
  let code = "", vendor = "";
  try { ({ code, vendor } = JSON.parse(js).error); } catch {}
  logLine({ level: "warn", msg: "callback rejected", status, code, route: redact(ctx.path), remote: ctx.remote, vendor, error: js });
  return new Response(js + "\n", { status, headers: json });
}

// listDeadLetters answers GET /deadletter (secret required): every kept
// record as NDJSON, oldest first, ready for `wxhook replay`.
async function listDeadLetters(request, env, ctx) {
  if (request.method !== "GET") return fail(ctx, 405, { code: "method_not_allowed" }, { headers: { Allow: "GET" } });
  if (env.INSECURE !== "true") {
    const auth = await authorized(request, env, "");
    if (auth) return fail(ctx, auth === "unauthorized" ? 401 : 403, { code: auth });
  }
  if (!env.DEADLETTERS) return new Response("", { headers: { "Content-Type": "application/x-ndjson" } });
  const parts = [];
  let cursor;
  do {
    const page = await env.DEADLETTERS.list({ prefix: "deadletter/", cursor });
    for (const o of page.objects) {
      const obj = await env.DEADLETTERS.get(o.key);
      if (obj) parts.push(await obj.text());
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return new Response(parts.join(""), { headers: { "Content-Type": "application/x-ndjson" } });
}

export default {
  async fetch(request, env, execCtx) {
    const url = new URL(request.url);
    const path = url.pathname;
    const ctx = { env, path, remote: request.headers.get("CF-Connecting-IP") ?? "", waitUntil: (p) => execCtx.waitUntil(p) };
    if (path === "/hook" || path.startsWith("/hook/")) return hook(request, env, ctx, path === "/hook" ? "" : path.slice(6));
    if (path === "/healthz") return new Response("ok\n", { headers: { "Content-Type": "text/plain; charset=utf-8" } });
    if (path === "/deadletter") return listDeadLetters(request, env, ctx);
    return fail(ctx, 404, { code: "not_found", detail: ROUTES });
  },
};

// DedupShard keeps the dedup keys of one shard, with the Go worker's
// semantics (worker/README.md, "reserve → deliver → commit"):
//   reserve: "duplicate" if committed within the TTL, "in_flight" if claimed
//            by another request within its lease, else claims the key;
//   release: drops the caller's own claim only, never a committed key;
//   commit:  always commits, whoever holds the key.
// A Durable Object runs one event at a time around its storage calls (input
// gates), so a reserve's read and write cannot interleave with another's.
// Storage is durable: claims and commits survive the object's eviction.
export class DedupShard extends DurableObject {
  async reserve(key, claim, leaseMs) {
    const now = Date.now();
    const v = await this.ctx.storage.get(key);
    if (v && v.until > now) return v.done ? "duplicate" : "in_flight";
    await this.ctx.storage.put(key, { done: false, claim, until: now + leaseMs });
    await this.#sweepLater(leaseMs);
    return "reserved";
  }

  async release(key, claim) {
    const v = await this.ctx.storage.get(key);
    if (v && !v.done && v.claim === claim) await this.ctx.storage.delete(key);
  }

  async commit(key, ttlMs) {
    await this.ctx.storage.put(key, { done: true, until: Date.now() + ttlMs });
    await this.#sweepLater(ttlMs);
  }

  async #sweepLater(ms) {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ms);
  }

  // alarm deletes expired keys and comes back for the rest.
  async alarm() {
    const now = Date.now();
    let next = 0;
    const dead = [];
    for (const [k, v] of await this.ctx.storage.list()) {
      if (v.until <= now) dead.push(k);
      else if (next === 0 || v.until < next) next = v.until;
    }
    for (let i = 0; i < dead.length; i += 128) await this.ctx.storage.delete(dead.slice(i, i + 128));
    if (next) await this.ctx.storage.setAlarm(next);
  }
}
