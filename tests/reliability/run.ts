/**
 * `npm run reliability`: every reliability suite at full size; writes docs/RELIABILITY.md (or
 * --out FILE). Needs root, `npm run build` (dist/tap) and Debian's host-local. Exits 1 when
 * anything was lost.
 *
 *   bun tests/reliability/run.ts [--out FILE]
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as s from "./suites.ts";

const out = process.argv.includes("--out")
  ? process.argv[process.argv.indexOf("--out") + 1]!
  : fileURLToPath(new URL("../../docs/RELIABILITY.md", import.meta.url));

const runs: (() => s.SuiteResult | Promise<s.SuiteResult>)[] = [
  () => s.fuzzInProcess(10_000),
  () => s.fuzzEndToEnd(300),
  () => s.fuzzCli(500),
  () => s.sigkillDuringAdd(200),
  () => s.faults(),
  () => s.ownNetns(200),
  () => s.loadManyNetns(200, 3),
  () => s.loadOneNetns(20),
  () => s.sameIfname(20),
  () => s.childFds(),
];
const results: s.SuiteResult[] = [];
for (const r of runs) {
  const t0 = performance.now();
  const res = await r();
  results.push(res);
  process.stderr.write(
    `${res.suite}: ${res.cases} tried, ${res.lost} lost (${
      Math.round(performance.now() - t0)
    } ms)\n`,
  );
}
const md = `# Reliability

Made by \`npm run reliability\` (\`bun tests/reliability/run.ts\`) on ${
  new Date().toISOString().slice(0, 10)
},
which rewrites this file. The suites live in tests/reliability/suites.ts; CI runs a smaller version
of each (tests/reliability_root_test.ts). "Lost" counts every case that crashed, printed a stack
trace, exited with an undocumented status, answered with something other than a spec error, or
left a device, a lease or a thread in the wrong netns behind. The goal is 0 everywhere.

| suite | what was tried | cases | lost |
| --- | --- | --- | --- |
${results.map((r) => `| ${r.suite} | ${r.tried} | ${r.cases} | **${r.lost}** |`).join("\n")}
${
  results.some((r) => r.lost > 0)
    ? "\n## Losses\n\n" + results.filter((r) => r.lost > 0).map((r) =>
      `- ${r.suite}: ${r.examples.join("; ")}`
    ).join("\n") + "\n"
    : ""
}
Besides these suites, the integration tests check the security rules: the product's code runs no
shell and no iproute2 (tests/security_test.ts greps for them), CNI_NETNS must be a network
namespace other than the plugin's own (tests/cni_root_test.ts), DEL and \`tap delete\` never remove
a device that is not a tun/tap, and the CNI path runs under Deno with exactly the documented
permissions (tests/reliability_root_test.ts).
`;
writeFileSync(out, md);
process.stderr.write(`wrote ${out}\n`);
process.exitCode = results.some((r) => r.lost > 0) ? 1 : 0;
