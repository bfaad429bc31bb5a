// corpus.mjs writes gen/corpus.ndjson with the conformance kit's exporter
// (internal/conformance/cmd/corpus): the cases test/conformance.test.mjs
// posts to the Worker. WXHOOK_EDGE_GENERATED sets how many seeded mutations
// the parity corpus adds (default 200).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const out = fileURLToPath(new URL("../gen/corpus.ndjson", import.meta.url));
const generated = process.env.WXHOOK_EDGE_GENERATED ?? "200";
if (!existsSync(`${repo}/internal/conformance/cmd/corpus`)) {
  console.error("corpus: internal/conformance/cmd/corpus (the conformance kit) is not in this tree");
  process.exit(1);
}
mkdirSync(fileURLToPath(new URL("../gen", import.meta.url)), { recursive: true });
execFileSync("go", ["run", "./internal/conformance/cmd/corpus", "-o", out, "-generated", generated], { cwd: repo, stdio: "inherit" });
