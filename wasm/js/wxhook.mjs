// wxhook.mjs loads wxhook's WebAssembly module (host/wxhook.wasm) in any
// JavaScript runtime with WebAssembly: Node (with node:wasi) or an edge runtime
// such as workerd (with minimalWASI below). It speaks ABI version 1 of
// wasm/ABI.md; the output bytes are the native decoder's, byte for byte.
//
//   import { load, minimalWASI } from "./wxhook.mjs";
//   // Node:
//   const wasi = new WASI({ version: "preview1" });
//   const wx = await load(bytes, { imports: { wasi_snapshot_preview1: wasi.wasiImport }, start: (i) => wasi.initialize(i) });
//   // edge:
//   const shim = minimalWASI();
//   const wx = await load(module, { imports: shim.imports, start: shim.start });
//   const r = wx.decode(body, "auto"); // {ok, json, vendor, kind, dedupKey, account}
//
// The constants below are internal/abi's; a Go test (internal/abi) checks
// them against it, so change them only together.

export const ABI_VERSION = 1;

// Dialect names, indexed by decoder.Dialect (the vendor byte and the dialect
// argument of wxhook_decode).
export const DIALECTS = ["auto", "wecom", "eyun", "dll", "gewe"];

// Canonical kind names, indexed by decoder.Kind (decoder/dialect.go).
export const KINDS = [
  "unknown", "text", "image", "voice", "video", "emoji", "location", "link", "file",
  "mini_program", "contact_card", "chat_history", "transfer", "red_packet", "quote", "pat",
  "recall", "system", "friend_request", "friend_deleted", "contact_update", "room_join",
  "room_leave", "room_topic", "room_info", "room_enter", "login", "logout", "offline",
  "channels", "room_announcement", "room_todo", "call", "file_upload",
];

// Error codes of the canonical error JSON (decoder.Codes()).
export const CODES = [
  "empty", "not_json", "unknown_dialect", "wrong_dialect", "missing_field", "bad_field",
  "bad_content", "too_large", "internal",
];

// Statuses of wxhook_decode.
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
export const STATUS_BAD_INPUT = 2;

// Byte offsets of the result header's fields (little endian). headerLen is
// a u16: the header's length, 0 in modules older than the account fields.
export const HEADER = {
  outPtr: 0, outLen: 4, dedupOff: 8, dedupLen: 12, vendor: 16, kind: 17, headerLen: 18,
  status: 20, inPtr: 24, inCap: 28, accountOff: 32, accountLen: 36,
};

// load instantiates the module and runs its _initialize.
//   source:  a WebAssembly.Module, or the module's bytes
//   imports: an import object providing wasi_snapshot_preview1
//   start:   optional function(instance) that initializes the reactor; node:wasi
//            needs wasi.initialize(instance) (it also binds the memory). Without
//            it, instance.exports._initialize() is called directly.
export async function load(source, { imports, start } = {}) {
  if (!imports) throw new TypeError("wxhook: load needs an import object with wasi_snapshot_preview1");
  const instance = source instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(source, imports)
    : (await WebAssembly.instantiate(source, imports)).instance;
  if (start) start(instance);
  else instance.exports._initialize();
  return new Decoder(instance);
}

// Decoder wraps one instance. Like the instance itself it runs one call at a
// time; the returned json is a copy, owned by the caller.
export class Decoder {
  constructor(instance) {
    const x = instance.exports;
    this.exports = x;
    this.memory = x.memory;
    this.u8 = null; // #views
    this.dv = null;
    const v = x.wxhook_abi_version();
    if (v !== ABI_VERSION) throw new Error(`wxhook: module speaks ABI ${v}, loader ${ABI_VERSION}`);
    this.hdr = x.wxhook_header();
    this.hasAccount = this.#views().getUint16(this.hdr + HEADER.headerLen, true) >= HEADER.accountLen + 4;
    this.#readInput();
  }

  // #views returns the cached Uint8Array and DataView over the guest's
  // memory, made again when the guest has grown it: growing detaches the old
  // ArrayBuffer, and a view over a detached buffer has length 0. Making a
  // view per call (and reading memory.buffer, a getter) cost V8 more than the
  // header reads themselves.
  #views() {
    if (this.u8 === null || this.u8.length === 0) {
      const buf = this.memory.buffer;
      this.u8 = new Uint8Array(buf);
      this.dv = new DataView(buf);
    }
    return this.dv;
  }

  #readInput() {
    const v = this.#views();
    this.inPtr = v.getUint32(this.hdr + HEADER.inPtr, true);
    this.inCap = v.getUint32(this.hdr + HEADER.inCap, true);
  }

  // decode decodes one callback body (Uint8Array). dialect is a name of
  // DIALECTS or its index. Returns {ok, json, vendor, kind, dedupKey, account}:
  // json is the canonical event JSON (ok) or canonical error JSON (!ok) as
  // bytes; vendor and kind are names; dedupKey and account (the event's
  // "account" as written in the JSON, escaped) are subarrays of json, empty
  // on errors.
  decode(bytes, dialect = 0) {
    if (!(bytes instanceof Uint8Array)) {
      // A string would be copied as zeros: refuse it rather than decode garbage.
      throw new TypeError(`wxhook: decode takes the body as bytes (a Uint8Array or Buffer), not ${typeof bytes === "string" ? "a string: pass new TextEncoder().encode(s)" : Object.prototype.toString.call(bytes)}`);
    }
    const d = typeof dialect === "number" ? dialect : DIALECTS.indexOf(dialect);
    if (d < 0) throw new TypeError(`wxhook: unknown dialect ${dialect}`);
    const n = bytes.length;
    if (n > this.inCap) {
      if (this.exports.wxhook_input(n) === 0) throw new RangeError(`wxhook: guest refused ${n} input bytes`);
      this.#readInput();
    }
    this.#views();
    this.u8.set(bytes, this.inPtr);
    const status = this.exports.wxhook_decode(this.inPtr, n, d) >>> 0;
    const v = this.#views(); // the call may have grown the memory
    const h = this.hdr;
    const outPtr = v.getUint32(h + HEADER.outPtr, true);
    const outLen = v.getUint32(h + HEADER.outLen, true);
    // TypedArray slice copies into a fresh buffer at about a third of the
    // cost of memory.buffer.slice (which reads the buffer getter and makes
    // an ArrayBuffer, then a view on it).
    const json = this.u8.slice(outPtr, outPtr + outLen);
    if (status === STATUS_OK) {
      const off = v.getUint32(h + HEADER.dedupOff, true);
      const len = v.getUint32(h + HEADER.dedupLen, true);
      const aoff = this.hasAccount ? v.getUint32(h + HEADER.accountOff, true) : 0;
      const alen = this.hasAccount ? v.getUint32(h + HEADER.accountLen, true) : 0;
      return {
        ok: true,
        json,
        vendor: DIALECTS[v.getUint8(h + HEADER.vendor)] ?? "auto",
        kind: KINDS[v.getUint8(h + HEADER.kind)] ?? "unknown",
        vendorCode: v.getUint8(h + HEADER.vendor),
        kindCode: v.getUint8(h + HEADER.kind),
        dedupKey: json.subarray(off, off + len),
        account: json.subarray(aoff, aoff + alen),
      };
    }
    if (status === STATUS_ERROR) {
      const none = json.subarray(0, 0);
      return { ok: false, json, vendor: DIALECTS[d] ?? "auto", kind: "unknown", vendorCode: 0, kindCode: 0, dedupKey: none, account: none };
    }
    throw new Error(`wxhook: guest status ${status}`);
  }
}

// minimalWASI is a small wasi_snapshot_preview1 for runtimes without one
// (workerd): every function the module imports, with what the Go runtime
// needs of it. Files answer EBADF/ENOSYS (the module opens none); stdout and
// stderr lines go to log.
//
// Clocks: the monotonic clock never reads 0 (Go's runtime throws "nanotime
// returning zero" at start-up, and workerd's performance.now() is 0 at global
// scope) and never goes back. poll_oneoff sleeps for a relative or absolute
// clock subscription: with Atomics.wait where the runtime allows blocking
// (Node), otherwise (workerd, whose clocks stand still while code runs) by
// moving the module's monotonic clock forward by the time asked for, so a
// guest waiting for a timer sees it expire instead of spinning forever.
//
// Randomness: crypto.getRandomValues. workerd forbids it at global scope; a
// module's random_get there (the Go runtime's start-up seed, in a module
// built without internal/preinit; the committed module reads none, and the
// decoder reads no random values) then comes from Math.random.
// randomFallbacks counts how often that happened.
export function minimalWASI({ log = (line) => console.error(line) } = {}) {
  let memory;
  const ESUCCESS = 0, EBADF = 8, EINVAL = 28, ENOSYS = 52;
  const CLOCK_REALTIME = 0, EVENT_CLOCK = 0, SUBSCRIPTION_ABSTIME = 1;
  const dec = new TextDecoder();
  let pending = "";
  const mem = () => new DataView(memory.buffer);
  const perf = globalThis.performance;
  let skew = 0n; // ns added to the monotonic clock by sleeps that could not block
  let lastMono = 0n;
  const monotonic = () => {
    let ns = BigInt(Math.round((perf ? perf.now() : Date.now()) * 1e6)) + skew;
    if (ns <= lastMono) ns = lastMono + 1n; // never 0, never backwards
    lastMono = ns;
    return ns;
  };
  const realtime = () => {
    const ns = BigInt(Date.now()) * 1000000n;
    return ns > 0n ? ns : 1n;
  };
  let blocker; // Int32Array for Atomics.wait, null where blocking is not allowed
  const sleep = (ns) => {
    if (ns <= 0n) return;
    const before = monotonic();
    if (blocker !== null) {
      try {
        blocker ??= new Int32Array(new SharedArrayBuffer(4));
        Atomics.wait(blocker, 0, 0, Number(ns) / 1e6);
      } catch {
        blocker = null;
      }
    }
    const slept = monotonic() - before;
    if (slept < ns) skew += ns - slept;
  };
  const state = { randomFallbacks: 0 };
  const wasi = {
    args_sizes_get(argc, size) { const v = mem(); v.setUint32(argc, 0, true); v.setUint32(size, 0, true); return ESUCCESS; },
    args_get() { return ESUCCESS; },
    environ_sizes_get(cnt, size) { const v = mem(); v.setUint32(cnt, 0, true); v.setUint32(size, 0, true); return ESUCCESS; },
    environ_get() { return ESUCCESS; },
    clock_res_get(_id, out) { mem().setBigUint64(out, 1000n, true); return ESUCCESS; },
    clock_time_get(id, _precision, out) {
      mem().setBigUint64(out, id === CLOCK_REALTIME ? realtime() : monotonic(), true);
      return ESUCCESS;
    },
    random_get(ptr, len) {
      const b = new Uint8Array(memory.buffer, ptr, len);
      try {
        for (let i = 0; i < len; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(len, i + 65536)));
      } catch {
        state.randomFallbacks++;
        for (let i = 0; i < len; i++) b[i] = (Math.random() * 256) | 0;
      }
      return ESUCCESS;
    },
    // poll_oneoff answers clock subscriptions once the earliest has expired
    // and fd subscriptions at once with EBADF (the module polls no files).
    // Layouts (WASI preview 1): subscription 48 bytes {userdata u64, tag u8
    // @8, clock id u32 @16, timeout u64 @24, precision u64 @32, flags u16
    // @40}; event 32 bytes {userdata u64, error u16 @8, type u8 @10}.
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      if (nsubs === 0) return EINVAL;
      let v = mem();
      let wait = -1n;
      let fds = 0;
      for (let i = 0; i < nsubs; i++) {
        const s = inPtr + 48 * i;
        if (v.getUint8(s + 8) !== EVENT_CLOCK) { fds++; continue; }
        const id = v.getUint32(s + 16, true);
        let t = v.getBigUint64(s + 24, true);
        if (v.getUint16(s + 40, true) & SUBSCRIPTION_ABSTIME) t -= id === CLOCK_REALTIME ? realtime() : monotonic();
        if (t < 0n) t = 0n;
        if (wait < 0n || t < wait) wait = t;
      }
      if (fds === 0 && wait > 0n) sleep(wait);
      v = mem();
      let n = 0;
      for (let i = 0; i < nsubs; i++) {
        const s = inPtr + 48 * i, e = outPtr + 32 * n;
        const tag = v.getUint8(s + 8);
        if (tag === EVENT_CLOCK && fds > 0) continue; // fd answers come first
        v.setBigUint64(e, v.getBigUint64(s, true), true);
        v.setUint16(e + 8, tag === EVENT_CLOCK ? ESUCCESS : EBADF, true);
        v.setUint8(e + 10, tag);
        for (let j = 11; j < 32; j++) v.setUint8(e + j, 0);
        n++;
        if (tag === EVENT_CLOCK) break; // the earliest clock: one event is enough
      }
      v.setUint32(neventsPtr, n, true);
      return ESUCCESS;
    },
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd !== 1 && fd !== 2) return EBADF;
      const v = mem();
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const p = v.getUint32(iovs + 8 * i, true), l = v.getUint32(iovs + 8 * i + 4, true);
        pending += dec.decode(new Uint8Array(memory.buffer, p, l), { stream: true });
        total += l;
      }
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) { log(pending.slice(0, nl)); pending = pending.slice(nl + 1); }
      v.setUint32(nwritten, total, true);
      return ESUCCESS;
    },
    fd_read() { return EBADF; },
    fd_close() { return EBADF; },
    fd_fdstat_get() { return EBADF; },
    fd_fdstat_set_flags() { return EBADF; },
    fd_prestat_get() { return EBADF; },
    fd_prestat_dir_name() { return EBADF; },
    path_open() { return ENOSYS; },
    path_filestat_get() { return ENOSYS; },
    sched_yield() { return ESUCCESS; },
    proc_exit(code) { throw new Error(`wxhook: guest exited with code ${code}`); },
  };
  return {
    imports: { wasi_snapshot_preview1: wasi },
    start(instance) { memory = instance.exports.memory; instance.exports._initialize(); },
    get randomFallbacks() { return state.randomFallbacks; },
  };
}
