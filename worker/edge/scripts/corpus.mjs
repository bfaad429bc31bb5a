// corpus.mjs writes gen/corpus.ndjson with the conformance kit's exporter
// (internal/conformance/cmd/corpus): the cases test/conformance.test.mjs
// posts to the Worker. WXHOOK_EDGE_GENERATED sets how many seeded mutations
// the parity corpus adds: default 200, 2,000 with WXHOOK_LONG_TESTS=1 (CI).
// Each case is one HTTP round trip through workerd (about 60 ms here), so
// the kit's own long default (12,000) would take over ten minutes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const out = fileURLToPath(new URL("../gen/corpus.ndjson", import.meta.url));
const generated = process.env.WXHOOK_EDGE_GENERATED ?? (process.env.WXHOOK_LONG_TESTS === "1" ? "2000" : "200");
if (!existsSync(`${repo}/internal/conformance/cmd/corpus`)) {
  console.error("corpus: internal/conformance/cmd/corpus (the conformance kit) is not in this tree");
  process.exit(1);
}
mkdirSync(fileURLToPath(new URL("../gen", import.meta.url)), { recursive: true });
execFileSync("go", ["run", "./internal/conformance/cmd/corpus", "-o", out, "-generated", generated], { cwd: repo, stdio: "inherit" });
