// table.mjs: the table of run.sh from the raw outputs of its passes.
//   node table.mjs go.txt js.txt
// go.txt: `go test -bench BenchmarkPeers` output of every pass; js.txt: the
// lines of bench.mjs of every pass. Prints medians over the passes.
import { readFileSync } from "node:fs";

const [goFile, jsFile] = process.argv.slice(2);
const samples = new Map(); // "row impl" -> [ns]
const allocs = new Map();
const add = (row, impl, ns) => {
  const k = `${row} ${impl}`;
  if (!samples.has(k)) samples.set(k, []);
  samples.get(k).push(ns);
};
for (const line of readFileSync(goFile, "utf8").split("\n")) {
  const m = /^BenchmarkPeers\/(\S+?)\/(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op.*?(?:(\d+) allocs\/op)?$/.exec(line);
  if (!m) continue;
  add(m[1], m[2], Number(m[3]));
  if (m[4] !== undefined) allocs.set(`${m[1]} ${m[2]}`, Number(m[4]));
}
for (const line of readFileSync(jsFile, "utf8").split("\n")) {
  const m = /^(\S+) (\S+) ([\d.]+)$/.exec(line);
  if (m) add(m[1], m[2], Number(m[3]));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const med = (row, impl) => {
  const xs = samples.get(`${row} ${impl}`);
  if (!xs) throw new Error(`no samples for ${row} ${impl}`);
  return median(xs);
};
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
const names = { wecom_text: "wecom text", eyun_text: "eyun text", eyun_image_xml: "eyun image (XML)", eyun_link_xml: "eyun link (XML)" };
const rows = Object.keys(names);
const passes = Math.min(...[...samples.values()].map((x) => x.length));

console.log(`medians of ${passes} interleaved passes\n`);
console.log("| payload | wxhook native | best Go peer (go-json or sonic + encoding/xml) | wxhook under wazero | wxhook in Node (V8) | JS peer, JSON.parse (ids > 2^53 rounded) + fast-xml-parser | JS peer, exact ids + fast-xml-parser |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const gj = med(r, "gojson"), so = med(r, "sonic");
  const best = gj <= so ? `${us(gj)} (go-json)` : `${us(so)} (sonic)`;
  console.log(`| ${names[r]} | ${us(med(r, "native"))} | ${best} | ${us(med(r, "wazero"))} | ${us(med(r, "node"))} | ${us(med(r, "js_lossy"))} | ${us(med(r, "js_exact"))} |`);
}
console.log("\nevery implementation (median ns/op; allocs/op of the last Go pass):\n");
const impls = ["native", "gojson", "sonic", "wazero", "node", "js_lossy", "js_exact"];
console.log(`| payload | ${impls.join(" | ")} |`);
console.log(`|---|${impls.map(() => "---").join("|")}|`);
for (const r of rows) {
  console.log(`| ${names[r]} | ${impls.map((i) => `${med(r, i).toFixed(0)}${allocs.has(`${r} ${i}`) ? ` (${allocs.get(`${r} ${i}`)} allocs)` : ""}`).join(" | ")} |`);
}
console.log("\nratios (median / median):\n");
console.log("| payload | native / best Go peer | Node / JS peer (lossy) | Node / JS peer (exact) | wazero / native |");
console.log("|---|---|---|---|---|");
for (const r of rows) {
  const n = med(r, "native"), bg = Math.min(med(r, "gojson"), med(r, "sonic")), nd = med(r, "node");
  console.log(`| ${names[r]} | ${(n / bg).toFixed(2)} | ${(nd / med(r, "js_lossy")).toFixed(2)} | ${(nd / med(r, "js_exact")).toFixed(2)} | ${(med(r, "wazero") / n).toFixed(1)} |`);
}
