// sync-module.mjs copies the one WebAssembly module (host/wxhook.wasm, built by
// ./build.sh and committed) and the one JS loader (wasm/js/wxhook.mjs) next to
// the Worker's sources, in gen/, so that wrangler's bundler and Miniflare see
// them inside the Worker's directory; then it checks that the copies are
// byte-identical to the originals. Run by `npm test` (pretest) and by
// wrangler's build step; gen/ is not committed.
//
//   node scripts/sync-module.mjs           copy and check
//   node scripts/sync-module.mjs --check   check only (exit 1 on a difference)
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const FILES = [
  { from: here("../../../host/wxhook.wasm"), to: here("../gen/wxhook.wasm") },
  { from: here("../../../wasm/js/wxhook.mjs"), to: here("../gen/wxhook.mjs") },
];

const sha = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");

export function check() {
  const bad = [];
  for (const f of FILES) {
    let got = "missing";
    try { got = sha(f.to); } catch {}
    if (got !== sha(f.from)) bad.push(`${f.to} differs from ${f.from}`);
  }
  return bad;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes("--check")) {
    mkdirSync(here("../gen"), { recursive: true });
    for (const f of FILES) copyFileSync(f.from, f.to);
  }
  const bad = check();
  for (const b of bad) console.error(`sync-module: ${b}`);
  if (bad.length) process.exit(1);
  console.error(`sync-module: gen/wxhook.wasm = host/wxhook.wasm (sha256 ${sha(FILES[0].from).slice(0, 16)}…), gen/wxhook.mjs = wasm/js/wxhook.mjs`);
}
